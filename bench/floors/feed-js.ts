// Feed floor, JSON built in JavaScript: verify the JWT, one prepared query for 50 rows, answer.
import jwt from "jsonwebtoken";
import { floorDatabase } from "./db.ts";

const db = await floorDatabase();
const secret = process.env.JWT_ACCESS_SECRET as string;
const QUERY = `select id::text as id, type, message, actor, target, metadata, created_at
  from activities where organisation_id = $1 order by id desc limit 51`;

const server = Bun.serve({
  port: 0,
  async fetch(request) {
    let claims: { org: string };
    try {
      claims = jwt.verify(request.headers.get("authorization")?.slice(7) ?? "", secret, { algorithms: ["HS256"] }) as { org: string };
    } catch {
      return new Response(null, { status: 401 });
    }
    const rows = await db.query<{ id: string; created_at: Date }>("floor_feed_js", QUERY, [claims.org]);
    const page = rows.slice(0, 50).map(({ created_at, ...row }) => ({ ...row, createdAt: new Date(created_at).toISOString() }));
    return Response.json({ success: true, message: "Activities", data: page, meta: { nextCursor: rows.length > 50 ? page.at(-1)?.id : null } });
  },
});
console.log(`READY ${server.port}`);
