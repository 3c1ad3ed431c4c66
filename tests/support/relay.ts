import { connect, createServer, type Server, type Socket } from "node:net";

/**
 * A TCP relay in front of a server (the database, or an API instance), which a test can take down
 * (every connection cut, new ones refused), bring back on the same port, point at another server,
 * or use to cut or silence every connection while it keeps accepting new ones: a database restart,
 * an outage, a proxy dropping connections, a NAT that forgot them.
 */
export async function startRelay(initialTarget: URL) {
  let target = initialTarget;
  const sockets = new Set<Socket>();
  /** Connections that die the next time the application writes to them, as a NAT that forgot them would. */
  const doomed = new WeakSet<Socket>();
  /** Connections that stay open but carry nothing either way: no close reaches either end. */
  const silenced = new WeakSet<Socket>();
  const clients = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      if (server) return resolve();
      const listening = createServer((client) => {
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on("close", () => sockets.delete(socket));
          socket.on("error", () => {
            client.destroy();
            upstream.destroy();
          });
        }
        clients.add(client);
        client.on("close", () => clients.delete(client));
        client.on("data", (chunk) => {
          if (silenced.has(client)) return;
          if (!doomed.has(client)) return void upstream.write(chunk);
          client.destroy();
          upstream.destroy();
        });
        upstream.on("data", (chunk) => {
          if (!silenced.has(client)) client.write(chunk);
        });
        upstream.on("end", () => client.end());
      });
      server = listening;
      listening.listen(port, "127.0.0.1", () => {
        port = (listening.address() as { port: number }).port;
        resolve();
      });
    });
  const cutAll = () => {
    for (const socket of sockets) socket.destroy();
    sockets.clear();
  };
  await listen();
  /** The URL of `target` reached through the relay. */
  const url = (databaseUrl: string) => {
    const through = new URL(databaseUrl);
    through.hostname = "127.0.0.1";
    through.port = String(port);
    return through.toString();
  };
  return {
    url,
    cutAll,
    /** Every open connection dies on its next use, unnoticed until then; new ones work. */
    breakOnUse: () => {
      for (const client of clients) doomed.add(client);
    },
    /** Every open connection goes quiet both ways and stays open; new ones work. */
    blackHole: () => {
      for (const client of clients) silenced.add(client);
    },
    /** Down: every connection cut, new ones refused. */
    stop: () =>
      new Promise<void>((resolve) => {
        cutAll();
        if (!server) return resolve();
        server.close(() => resolve());
        server = undefined;
      }),
    /** Back on the same port. */
    start: listen,
    /** New connections go to `next` (a port that moved to another instance); open ones stay where they are. */
    retarget: (next: URL) => {
      target = next;
    },
    get port() {
      return port;
    },
  };
}
