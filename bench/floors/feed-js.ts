// Feed floor, JSON built in JavaScript: verify the JWT, one prepared query for 50 rows, answer.
import { floorDatabase } from "./db.ts";
import { serveSignedIn } from "./serve.ts";

const db = await floorDatabase();
const QUERY = `select id::text as id, type, message, actor, target, metadata, created_at
  from activities where organisation_id = $1 order by id desc limit 51`;

serveSignedIn(async (organisationId) => {
  const rows = await db.query<{ id: string; created_at: Date }>("floor_feed_js", QUERY, [organisationId]);
  const page = rows.slice(0, 50).map(({ created_at, ...row }) => ({ ...row, createdAt: new Date(created_at).toISOString() }));
  return Response.json({
    success: true,
    message: "Activities",
    data: page,
    meta: { nextCursor: rows.length > 50 ? page.at(-1)?.id : null },
  });
});
