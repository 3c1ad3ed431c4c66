import type { Instance } from "./instance.ts";

/**
 * Resuming sockets, as a careful client keeps them: each reconnects (to whichever instance is up)
 * with `since` the last id it was given, and records every activity id it receives, so the soak
 * can compare what arrived with what the database holds.
 */
export function startWatchers(instances: Instance[], watchers: Array<{ organisationId: string; token: () => string }>) {
  type Watcher = {
    organisationId: string;
    startedAfter: bigint | null;
    ids: bigint[];
    lastId: bigint | null;
    closes: number[];
    truncated: number;
  };
  const state: Watcher[] = watchers.map(({ organisationId }) => ({
    organisationId,
    startedAfter: null,
    ids: [],
    lastId: null,
    closes: [],
    truncated: 0,
  }));
  let stopping = false;
  const open = new Set<WebSocket>();

  function connect(index: number, attempt: number) {
    if (stopping) return;
    const watcher = state[index] as Watcher;
    const instance = instances[(index + attempt) % instances.length] as Instance;
    const url = new URL("/ws", instance.base.replace(/^http/, "ws"));
    if (watcher.lastId !== null) url.searchParams.set("since", watcher.lastId.toString());
    const socket = new WebSocket(url, ["bearer", (watchers[index] as { token: () => string }).token()]);
    open.add(socket);
    socket.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { type: string; id?: string; payload?: { lastActivityId?: string } };
      if (message.type === "CONNECTED" && watcher.startedAfter === null) {
        watcher.startedAfter = BigInt(message.payload?.lastActivityId ?? "0");
        watcher.lastId = watcher.startedAfter;
      } else if (message.type === "REPLAY_TRUNCATED") watcher.truncated++;
      else if (message.id !== undefined) {
        const id = BigInt(message.id);
        watcher.ids.push(id);
        if (watcher.lastId === null || id > watcher.lastId) watcher.lastId = id;
      }
    };
    socket.onclose = (event) => {
      open.delete(socket);
      if (stopping) return;
      watcher.closes.push(event.code);
      setTimeout(() => connect(index, attempt + 1), 200 + Math.random() * 800);
    };
  }

  watchers.forEach((_, index) => {
    connect(index, index);
  });
  return {
    state,
    stop() {
      stopping = true;
      for (const socket of open) socket.close();
    },
  };
}

export type Watchers = ReturnType<typeof startWatchers>;
