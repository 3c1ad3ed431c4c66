// Read floor: verify the JWT, run one prepared query for the organisation and its counts, answer.
// Nothing else — no session check, no row-level security, no framework.
import jwt from "jsonwebtoken";
import { floorDatabase } from "./db.ts";

const db = await floorDatabase();
const secret = process.env.JWT_ACCESS_SECRET as string;
const QUERY = `select o.id, o.name, o.slug, o.subscription_plan, o.created_at,
  (select count(*) from memberships m where m.organisation_id = o.id)::int as member_count,
  (select count(*) from invites i where i.organisation_id = o.id and i.status = 'PENDING' and i.expires_at > now())::int as pending_invites
  from organisations o where o.id = $1`;

const server = Bun.serve({
  port: 0,
  async fetch(request) {
    let claims: { org: string };
    try {
      claims = jwt.verify(request.headers.get("authorization")?.slice(7) ?? "", secret, { algorithms: ["HS256"] }) as { org: string };
    } catch {
      return new Response(null, { status: 401 });
    }
    const [row] = await db.query<Record<string, unknown>>("floor_read", QUERY, [claims.org]);
    return Response.json({ success: true, message: "Organisation", data: row });
  },
});
console.log(`READY ${server.port}`);
