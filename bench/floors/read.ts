// Read floor: verify the JWT, run one prepared query for the organisation and its counts, answer.
// Nothing else — no session check, no row-level security, no framework.
import { floorDatabase } from "./db.ts";
import { serveSignedIn } from "./serve.ts";

const db = await floorDatabase();
const QUERY = `select o.id, o.name, o.slug, o.subscription_plan, o.created_at,
  (select count(*) from memberships m where m.organisation_id = o.id)::int as member_count,
  (select count(*) from invites i where i.organisation_id = o.id and i.status = 'PENDING' and i.expires_at > now())::int as pending_invites
  from organisations o where o.id = $1`;

serveSignedIn(async (organisationId) => {
  const [row] = await db.query<Record<string, unknown>>("floor_read", QUERY, [organisationId]);
  return Response.json({ success: true, message: "Organisation", data: row });
});
