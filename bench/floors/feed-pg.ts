// Feed floor, JSON built by PostgreSQL: verify the JWT, one prepared query whose single value is
// the page already as JSON (json_agg), passed through into the envelope untouched.
import { floorDatabase } from "./db.ts";
import { serveSignedIn } from "./serve.ts";

const db = await floorDatabase();
const QUERY = `select coalesce(json_agg(json_build_object(
    'id', id::text, 'type', type, 'message', message, 'actor', actor, 'target', target, 'metadata', metadata,
    'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc), '[]')::text as page
  from (select * from activities where organisation_id = $1 order by id desc limit 50) a`;

serveSignedIn(async (organisationId) => {
  const [row] = await db.query<{ page: string }>("floor_feed_pg", QUERY, [organisationId]);
  return new Response(`{"success":true,"message":"Activities","data":${row?.page ?? "[]"},"meta":{"nextCursor":null}}`, {
    headers: { "content-type": "application/json" },
  });
});
