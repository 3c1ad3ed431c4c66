// Durable fan-out floor: the fan-out floor plus the one thing a broadcast cannot skip — its event
// written and committed before anyone hears of it. The write is the API's own statement
// (record_activity's query), run plainly on the bypass path with Bun's client: no framework, no
// authentication, no row-level security, then server.publish. What the API adds beyond the
// durable write is fanout1k against this floor (bench/scenarios/realtime.ts).
import { SQL } from "bun";
import { recordActivityWrite } from "../../src/modules/activity/activity.record.ts";

const url = process.env.FLOOR_DATABASE_URL;
const organisationId = process.env.FLOOR_ORGANISATION;
if (!url || !organisationId) throw new Error("the durable floor needs FLOOR_DATABASE_URL and FLOOR_ORGANISATION");
const sql = new SQL({ url, max: 1 });
const RECORD = recordActivityWrite.statement({});

const server = Bun.serve({
  port: 0,
  async fetch(request, bun) {
    const url = new URL(request.url);
    const topic = url.searchParams.get("topic") ?? "all";
    if (url.pathname === "/ws")
      return bun.upgrade(request, { data: { topic } }) ? undefined : new Response("upgrade expected", { status: 400 });
    if (url.pathname === "/publish") {
      const text = await request.text();
      const { payload } = JSON.parse(text) as { payload: { message: string; sentBy: unknown } };
      await sql.unsafe(RECORD, [
        organisationId,
        "BROADCAST_MESSAGE",
        payload.message,
        payload.sentBy,
        null,
        payload,
        null,
        null,
        null,
        null,
        null,
      ]);
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
