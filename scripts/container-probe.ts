/**
 * What scripts/container-test.sh asks of a running deployment, from outside, as a client would.
 *
 *   bun scripts/container-probe.ts smoke <base>          /ready, /docs with its assets, register, a
 *                                                        socket, and a broadcast sent through the API
 *                                                        arriving on it
 *   bun scripts/container-probe.ts hold <base>           a signed-in socket: prints "holding", then
 *                                                        "closed <code>" when the server lets it go
 *   bun scripts/container-probe.ts fan-out <base> <n>    n sockets of one organisation opened one by
 *                                                        one (a round-robin proxy spreads them over the
 *                                                        replicas); a broadcast must reach every one
 *
 * Exits non-zero with the reason on the first thing that does not hold.
 */
import { randomUUID } from "node:crypto";
import { createClient } from "../tests/support/client.ts";
import { connectSocket } from "../tests/support/socket.ts";

const [command, base, count] = process.argv.slice(2);
if (!command || !base) fail("usage: container-probe.ts smoke|hold|fan-out <base-url> [sockets]");
const api = createClient(base);

function fail(reason: string): never {
  console.error(`probe: ${reason}`);
  process.exit(1);
}

async function waitUntilReady() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await fetch(`${base}/ready`).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return;
    if (Date.now() > deadline) fail(`${base}/ready did not answer 200 within 60 s (last: ${status || "no connection"})`);
    await Bun.sleep(500);
  }
}

async function registerOwner() {
  const registered = await api.post("/api/auth/register", {
    body: { name: "Probe", email: `probe-${randomUUID()}@example.com`, password: "container-probe-password", organisationName: "Probe" },
  });
  if (registered.status !== 201) fail(`register answered ${registered.status}: ${JSON.stringify(registered.body)}`);
  return (registered.body as { data: { accessToken: string } }).data.accessToken;
}

async function broadcastReaches(sockets: Awaited<ReturnType<typeof connectSocket>>[], token: string) {
  const message = `hello from the probe ${randomUUID()}`;
  const sent = await api.post("/api/organisations/broadcast", { token, body: { message } });
  if (sent.status >= 300) fail(`broadcast answered ${sent.status}: ${JSON.stringify(sent.body)}`);
  await Promise.all(
    sockets.map((socket, index) =>
      socket
        .next((m) => m.type === "BROADCAST_MESSAGE" && JSON.stringify(m).includes(message), 10_000)
        .catch((error) => fail(`socket ${index + 1}: ${error.message}`)),
    ),
  );
}

await waitUntilReady();
const token = await registerOwner();

if (command === "smoke") {
  // /docs/ws runs the client SDK's bundle, which the image builds from packages/client.
  for (const path of ["/docs", "/docs/assets/swagger-ui-bundle.js", "/docs/spec", "/docs/ws", "/docs/client.js", "/docs/asyncapi.json"]) {
    const status = await fetch(`${base}${path}`).then((response) => response.status);
    if (status !== 200) fail(`${path} answered ${status}: the image must serve its own docs`);
  }
  const socket = await connectSocket(base, token);
  await socket.next((m) => m.type === "CONNECTED", 10_000);
  await broadcastReaches([socket], token);
  socket.close();
  console.log("ready, docs served, registered, and a broadcast arrived on the socket");
} else if (command === "hold") {
  const socket = await connectSocket(base, token);
  await socket.next((m) => m.type === "CONNECTED", 10_000);
  console.log("holding");
  const { code } = await socket.closed(60_000);
  console.log(`closed ${code}`);
} else if (command === "fan-out") {
  const sockets = [];
  for (let i = 0; i < Number(count ?? 2); i++) {
    const socket = await connectSocket(base, token);
    await socket.next((m) => m.type === "CONNECTED", 10_000);
    sockets.push(socket);
  }
  await broadcastReaches(sockets, token);
  for (const socket of sockets) socket.close();
  console.log(`a broadcast reached all ${sockets.length} sockets`);
} else {
  fail(`unknown command ${command}`);
}
process.exit(0);
