// The floor for fan-out on this machine: a Bun server doing only the unavoidable work —
// upgrade, subscribe every socket to one topic, and publish what is POSTed to /publish.
const server = Bun.serve({
  port: Number(process.env.PORT ?? 0),
  async fetch(request, bun) {
    const { pathname } = new URL(request.url);
    if (pathname === "/ws") return bun.upgrade(request, { data: undefined }) ? undefined : new Response("upgrade expected", { status: 400 });
    if (pathname === "/publish") {
      bun.publish("all", await request.text());
      return new Response("ok");
    }
    return new Response("not found", { status: 404 });
  },
  websocket: {
    open: (socket) => {
      socket.subscribe("all");
    },
    message: () => {},
  },
});
console.log(`READY ${server.port}`);
process.on("SIGTERM", () => process.exit(0));
