// Feed floor, JSON built by PostgreSQL: verify the JWT, one prepared query whose single value is
// the page already as JSON (json_agg), passed through into the envelope untouched.
import jwt from "jsonwebtoken";
import { floorDatabase } from "./db.ts";

const db = await floorDatabase();
const secret = process.env.JWT_ACCESS_SECRET as string;
const QUERY = `select coalesce(json_agg(json_build_object(
    'id', id::text, 'type', type, 'message', message, 'actor', actor, 'target', target, 'metadata', metadata,
    'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')) order by id desc), '[]')::text as page
  from (select * from activities where organisation_id = $1 order by id desc limit 50) a`;

const server = Bun.serve({
  port: 0,
  async fetch(request) {
    let claims: { org: string };
    try {
      claims = jwt.verify(request.headers.get("authorization")?.slice(7) ?? "", secret, { algorithms: ["HS256"] }) as { org: string };
    } catch {
      return new Response(null, { status: 401 });
    }
    const [row] = await db.query<{ page: string }>("floor_feed_pg", QUERY, [claims.org]);
    return new Response(`{"success":true,"message":"Activities","data":${row?.page ?? "[]"},"meta":{"nextCursor":null}}`, {
      headers: { "content-type": "application/json" },
    });
  },
});
console.log(`READY ${server.port}`);
