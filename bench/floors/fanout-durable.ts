// Durable fan-out floor: the fan-out floor plus the one thing a broadcast cannot skip — its event
// written and committed before anyone hears of it. The write is the API's own statement
// (record_activity's query), run plainly on the bypass path with Bun's client: no framework, no
// authentication, no row-level security, then server.publish. What the API adds beyond the
// durable write is fanout1k against this floor (bench/scenarios/realtime.ts).
import { SQL } from "bun";
import { recordActivityWrite } from "../../src/modules/activity/activity.record.ts";
import { serveFanOut } from "./fanout-server.ts";

const url = process.env.FLOOR_DATABASE_URL;
const organisationId = process.env.FLOOR_ORGANISATION;
if (!url || !organisationId) throw new Error("the durable floor needs FLOOR_DATABASE_URL and FLOOR_ORGANISATION");
const sql = new SQL({ url, max: 1 });
const RECORD = recordActivityWrite.statement({});

serveFanOut(async (text) => {
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
});
