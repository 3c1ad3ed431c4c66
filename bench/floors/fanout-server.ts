// What both fan-out floors serve: upgrade, subscribe the socket to its topic, say CONNECTED, and
// publish what is POSTed to /publish straight from the handler — after `beforePublish`, if given.
export function serveFanOut(beforePublish?: (text: string) => Promise<void>) {
  const server = Bun.serve({
    port: 0,
    async fetch(request, bun) {
      const url = new URL(request.url);
      const topic = url.searchParams.get("topic") ?? "all";
      if (url.pathname === "/ws")
        return bun.upgrade(request, { data: { topic } }) ? undefined : new Response("upgrade expected", { status: 400 });
      if (url.pathname === "/publish") {
        const text = await request.text();
        if (beforePublish) await beforePublish(text);
        bun.publish(topic, text);
        return new Response("ok");
      }
      return new Response("not found", { status: 404 });
    },
    websocket: {
      data: {} as { topic: string },
      open: (socket) => {
        socket.subscribe(socket.data.topic);
        socket.send('{"type":"CONNECTED"}');
      },
      message: () => {},
      backpressureLimit: 1024 * 1024,
      closeOnBackpressureLimit: true,
    },
  });
  console.log(`READY ${server.port}`);
  process.on("SIGTERM", () => process.exit(0));
}
