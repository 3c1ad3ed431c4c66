export type SocketMessage = { type: string; payload?: any; id?: string; at: string };

/**
 * A real WebSocket client that records what it receives and lets a test wait for a message or
 * the close, always with a timeout — never a fixed sleep.
 */
export async function connectSocket(
  base: string,
  token: string,
  { since, auth = "protocol" }: { since?: string; auth?: "protocol" | "query" } = {},
) {
  const url = new URL("/ws", base.replace(/^http/, "ws"));
  if (auth === "query") url.searchParams.set("token", token);
  if (since !== undefined) url.searchParams.set("since", since);
  const socket = new WebSocket(url, auth === "protocol" ? ["bearer", token] : undefined);

  const received: SocketMessage[] = [];
  const checks = new Set<() => void>();
  let close: { code: number; reason: string } | undefined;
  socket.addEventListener("message", (event) => {
    received.push(JSON.parse(String(event.data)) as SocketMessage);
    for (const check of [...checks]) check();
  });
  socket.addEventListener("close", (event) => {
    close = { code: event.code, reason: event.reason };
    for (const check of [...checks]) check();
  });
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener("open", () => resolve(), { once: true });
    socket.addEventListener("error", () => reject(new Error("socket failed to open")), { once: true });
  });

  /** Resolves with what `find` returns once it returns something, re-checked on every arrival. */
  const until = <T>(find: () => T | undefined, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        checks.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; received ${JSON.stringify(received.map((m) => m.type))}`));
      }, timeoutMs);
      const check = () => {
        const found = find();
        if (found === undefined) return;
        checks.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      checks.add(check);
      check();
    });

  let cursor = 0;
  return {
    received,
    protocol: socket.protocol,
    send: (message: unknown) => socket.send(typeof message === "string" ? message : JSON.stringify(message)),
    /** The next message after the last one taken that matches. */
    next: (matches: (message: SocketMessage) => boolean = () => true, timeoutMs = 5000) =>
      until(
        () => {
          const index = received.findIndex((message, i) => i >= cursor && matches(message));
          if (index < 0) return undefined;
          cursor = index + 1;
          return received[index];
        },
        timeoutMs,
        "a matching message",
      ),
    /** Every message of `type` once there are at least `count` of them. */
    collect: (type: string, count: number, timeoutMs = 5000) =>
      until(
        () => {
          const all = received.filter((message) => message.type === type);
          return all.length >= count ? all : undefined;
        },
        timeoutMs,
        `${count} ${type}`,
      ),
    closed: (timeoutMs = 5000) => until(() => close, timeoutMs, "the socket to close"),
    close: () => socket.close(),
    /** Closes from the client's side with `code` (any the protocol allows a client, 1000 or 3000–4999). */
    closeWith: (code: number) => socket.close(code),
  };
}

export type TestSocket = Awaited<ReturnType<typeof connectSocket>>;

/** Opening handshake by hand, to see the HTTP answer to a refused upgrade. */
export async function attemptUpgrade(base: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, {
    headers: {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64"),
      ...headers,
    },
  });
  return { status: response.status, body: await response.json().catch(() => null) };
}

/**
 * Runs `change`, then waits until a socket of the organisation on each of `bases` (instances)
 * has had its event. Each instance hears a change when its notification arrives, a fraction of a
 * millisecond after the commit, and forgets what it cached before it publishes the event: the
 * next read after this must be fresh everywhere.
 */
export async function heardEverywhere(bases: string[], token: string, change: () => Promise<unknown>) {
  const sockets = await Promise.all(bases.map((base) => connectSocket(base, token)));
  try {
    await Promise.all(sockets.map((socket) => socket.next((m) => m.type === "CONNECTED")));
    await change();
    await Promise.all(sockets.map((socket) => socket.next((m) => m.id !== undefined)));
  } finally {
    for (const socket of sockets) socket.close();
  }
}
