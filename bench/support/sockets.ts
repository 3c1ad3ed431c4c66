/** Many WebSocket clients in this process, counting what arrives. */
export type SocketCrowd = {
  sockets: WebSocket[];
  /** How many sockets received a message containing `marker` so far. */
  received(marker: string): number;
  /** When the first socket received `marker` (performance.now()), if one has. */
  firstAt(marker: string): number | undefined;
  /** Resolves with the time the last of `count` sockets received `marker`, or rejects after `timeoutMs`. */
  allReceived(marker: string, count: number, timeoutMs?: number): Promise<number>;
  /** Sockets the server closed. */
  closed(): number;
  close(): void;
};

const OPEN_BATCH = 250;

/**
 * Opens `count` sockets to `url`, the i-th with the i-th of `tokens` (round robin) as its bearer
 * protocol, and resolves once every one has said CONNECTED.
 */
export async function openCrowd(url: (i: number) => string, count: number, token?: (i: number) => string): Promise<SocketCrowd> {
  const counts = new Map<string, number>();
  const firsts = new Map<string, number>();
  const waiters = new Map<string, { count: number; resolve: (at: number) => void }>();
  let closedByServer = 0;
  let closing = false;
  const onMessage = (data: string) => {
    const marker = /(bench-[0-9a-f-]{13})/.exec(data)?.[1];
    if (!marker) return;
    const n = (counts.get(marker) ?? 0) + 1;
    counts.set(marker, n);
    if (n === 1) firsts.set(marker, performance.now());
    const waiter = waiters.get(marker);
    if (waiter && n >= waiter.count) {
      waiters.delete(marker);
      waiter.resolve(performance.now());
    }
  };
  const openOne = (i: number) =>
    new Promise<WebSocket>((resolve, reject) => {
      const socket = new WebSocket(url(i), token ? ["bearer", token(i)] : undefined);
      let connected = false;
      socket.onmessage = (event) => {
        const data = String(event.data);
        if (!connected && data.includes('"CONNECTED"')) {
          connected = true;
          resolve(socket);
        } else onMessage(data);
      };
      socket.onclose = () => {
        if (!connected) reject(new Error(`socket ${i} closed before CONNECTED`));
        else if (!closing) closedByServer++;
      };
      socket.onerror = () => !connected && reject(new Error(`socket ${i} to ${url(i)} failed`));
    });
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += OPEN_BATCH) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(OPEN_BATCH, count - i) }, (_, j) => openOne(i + j)))));
  }
  return {
    sockets,
    received: (marker) => counts.get(marker) ?? 0,
    firstAt: (marker) => firsts.get(marker),
    allReceived: (marker, expected, timeoutMs = 15_000) =>
      new Promise<number>((resolve, reject) => {
        if ((counts.get(marker) ?? 0) >= expected) return resolve(performance.now());
        const timer = setTimeout(() => {
          waiters.delete(marker);
          reject(new Error(`only ${counts.get(marker) ?? 0}/${expected} sockets got ${marker}`));
        }, timeoutMs);
        waiters.set(marker, {
          count: expected,
          resolve: (at) => {
            clearTimeout(timer);
            resolve(at);
          },
        });
      }),
    closed: () => closedByServer,
    close() {
      closing = true;
      for (const socket of sockets) socket.close();
    },
  };
}

export const marker = () => `bench-${crypto.randomUUID().slice(0, 13)}`;
