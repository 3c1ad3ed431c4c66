import { BlockList, isIP } from "node:net";

// Addresses a request can only come from through our own network: loopback, private, link-local
// and carrier-grade NAT ranges. Behind a proxy, these are our proxies, never the client.
const internal = new BlockList();
for (const [prefix, bits] of [["127.0.0.0", 8], ["10.0.0.0", 8], ["172.16.0.0", 12], ["192.168.0.0", 16], ["169.254.0.0", 16], ["100.64.0.0", 10]] as const) {
  internal.addSubnet(prefix, bits, "ipv4");
}
for (const [prefix, bits] of [["::1", 128], ["fc00::", 7], ["fe80::", 10]] as const) internal.addSubnet(prefix, bits, "ipv6");

const isInternal = (address: string) => {
  const mapped = address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
  return internal.check(mapped, isIP(mapped) === 6 ? "ipv6" : "ipv4");
};

/**
 * The address to hold a client to. Without a trusted proxy it is the socket's peer, whatever
 * headers say. Behind one (`trustProxy`), it is the right-most X-Forwarded-For hop that is not
 * one of our own proxies: everything left of it was written by the client and can be forged,
 * everything right of it was appended by infrastructure we run.
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trustProxy: boolean): string {
  const fallback = peer ?? "unknown";
  if (!trustProxy || !forwardedFor) return fallback;
  const hops = forwardedFor
    .split(",")
    .map((hop) => hop.trim())
    .filter((hop) => isIP(hop) !== 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!isInternal(hop)) return hop;
  }
  // Every hop is internal (a client inside our network): the farthest one is the client.
  return hops[0] ?? fallback;
}
