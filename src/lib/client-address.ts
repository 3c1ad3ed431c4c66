import { BlockList, isIP } from "node:net";

// Addresses a request can only come from through our own network: loopback, private, link-local
// and carrier-grade NAT ranges. Behind a proxy, these are our proxies, never the client.
const internal = new BlockList();
for (const [prefix, bits] of [
  ["127.0.0.0", 8],
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["169.254.0.0", 16],
  ["100.64.0.0", 10],
] as const) {
  internal.addSubnet(prefix, bits, "ipv4");
}
for (const [prefix, bits] of [
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
] as const)
  internal.addSubnet(prefix, bits, "ipv6");

/** The eight 16-bit groups of an IPv6 address (an embedded dotted quad included), or null for anything else. */
function ipv6Groups(address: string): number[] | null {
  if (isIP(address) !== 6) return null;
  let text = address.split("%")[0] ?? "";
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string | undefined) => (part ? part.split(":").map((group) => Number.parseInt(group, 16)) : []);
  const [head, tail] = text.split("::");
  const left = parse(head);
  const right = parse(tail);
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** `::ffff:a.b.c.d` (in any spelling) is the IPv4 client a.b.c.d. */
function mappedIPv4(groups: number[]): string | null {
  if (!groups.slice(0, 5).every((group) => group === 0) || groups[5] !== 0xffff) return null;
  const [high = 0, low = 0] = groups.slice(6);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** One spelling per address: IPv4-mapped IPv6 becomes plain IPv4, IPv6 its canonical compressed form. */
export function normaliseAddress(address: string): string {
  const groups = ipv6Groups(address);
  if (!groups) return address;
  return mappedIPv4(groups) ?? new URL(`http://[${groups.map((group) => group.toString(16)).join(":")}]`).hostname.slice(1, -1);
}

/**
 * Who a budget belongs to, by address. An IPv6 client is its /64: one subscriber is routinely
 * handed a whole /64, so keying by the full address would give each of them 2^64 budgets.
 */
export function addressSubject(address: string): string {
  const groups = ipv6Groups(address);
  if (!groups) return address;
  return (
    mappedIPv4(groups) ??
    `${groups
      .slice(0, 4)
      .map((group) => group.toString(16))
      .join(":")}::/64`
  );
}

const isInternal = (address: string) => internal.check(address, isIP(address) === 6 ? "ipv6" : "ipv4");

/**
 * The address to hold a client to, normalised. Without a trusted proxy it is the socket's peer,
 * whatever headers say. Behind one (`trustProxy`), it is the right-most X-Forwarded-For hop that
 * is not one of our own proxies: everything left of it was written by the client and can be
 * forged, everything right of it was appended by infrastructure we run.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  const fallback = peer ? normaliseAddress(peer) : "unknown";
  if (!trustProxy || !forwardedFor) return fallback;
  const hops = forwardedFor
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => isIP(hop) !== 0)
    .map(normaliseAddress);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isInternal(hop)) return hop;
  }
  // Every hop is internal (a client inside our network): the farthest one is the client.
  return hops[0] ?? fallback;
}
