// Run by tests/client-sdk.test.ts under Node.js (20+, which has no global WebSocket): the built
// client package with the `ws` package's WebSocket signs in, calls the API, connects, sends a
// broadcast and prints what it received as one JSON line.
// node node-client.mjs <dist/index.js> <baseUrl> <email> <password>
import { WebSocket } from "ws";

const [distFile, baseUrl, email, password] = process.argv.slice(2);
const { createClient } = await import(distFile);
const client = createClient({ baseUrl, WebSocket });
const login = await client.auth.login({ email, password });
if (login.error) throw new Error(`login failed: ${JSON.stringify(login.error)}`);
const { data } = await client.api.GET("/api/organisations");
const connection = client.realtime.connect();
const states = [];
connection.on("state", (state) => states.push(state));
const received = new Promise((resolve, reject) => {
  connection.on("message", resolve);
  connection.on("closed", (detail) => reject(new Error(`closed: ${JSON.stringify(detail)}`)));
  setTimeout(() => reject(new Error(`no message; states ${states.join(",")}`)), 10_000).unref();
});
await new Promise((resolve) => connection.on("connected", resolve));
await client.api.POST("/api/organisations/broadcast", { body: { message: "hello from Node" } });
const message = await received;
console.log(JSON.stringify({ organisationId: data.data.id, states: [...states], message }));
connection.close();
client.dispose();
