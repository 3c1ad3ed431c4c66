// Every tenant query, as app_tenant under row-level security, reads along its index at every
// organisation size: no sort of the organisation's whole history, no bitmap scan of it, no
// sequential scan. (With the system policy OR-ed into the tenant's, the planner misjudged a
// 2,000-activity organisation and scanned all of it, then sorted.)
import { beforeAll, describe, expect, test } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import type { Db, Tx } from "../src/db/client.ts";
import { queryRows } from "../src/db/sql.ts";
import { withOrg, withSystem } from "../src/db/tenant.ts";
import { activityMessagesAfter, feedPage } from "../src/modules/activity/activity.queries.ts";
import { pendingInvitesPageQuery } from "../src/modules/members/invites.service.ts";
import { membersPageQuery } from "../src/modules/members/members.service.ts";
import { testDatabase } from "./support/database.ts";
import { registerOrg } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();
let db: Db;
const orgs: Record<"small" | "medium" | "large", string> = { small: "", medium: "", large: "" };
const SIZES = { small: 100, medium: 2_000, large: 20_000 };

/** `count` activities (60 % broadcasts), `count / 10` members and pending invites, straight into the organisation. */
async function fill(tx: Tx, organisationId: string, count: number) {
  await tx.execute(sql`
    insert into activities (organisation_id, id, type, message, metadata)
    select ${organisationId}::uuid, g,
           (case when g % 100 = 0 then 'PLAN_UPGRADED' when g % 10 < 6 then 'BROADCAST_MESSAGE' else 'INVITE_SENT' end),
           'message ' || g, '{}'::jsonb
    from generate_series(1, ${count}) g`);
  await tx.execute(sql`update organisations set last_activity_id = ${count} where id = ${organisationId}`);
  await tx.execute(sql`
    with people as (
      insert into users (name, email, password_hash)
      select 'Person ' || g, 'person-' || g || '-' || ${organisationId} || '@example.com', 'x'
      from generate_series(1, ${count / 10}) g returning id
    )
    insert into memberships (organisation_id, user_id, role) select ${organisationId}::uuid, id, 'MEMBER' from people`);
  await tx.execute(sql`
    insert into invites (organisation_id, email, role, token_hash, expires_at)
    select ${organisationId}::uuid, 'invitee-' || g || '-' || ${organisationId} || '@example.com', 'MEMBER',
           'plan-test-' || g || '-' || ${organisationId}, now() + interval '1 day'
    from generate_series(1, ${count / 10}) g`);
}

beforeAll(async () => {
  db = (await testDatabase()).database.db;
  for (const size of ["small", "medium", "large"] as const) {
    const admin = await registerOrg(api);
    orgs[size] = admin.organisation.id;
    await withSystem(db, (tx) => fill(tx, admin.organisation.id, SIZES[size]));
  }
  await db.execute(sql`analyze`);
}, 60_000);

type PlanNode = {
  "Node Type": string;
  "Index Name"?: string;
  "Relation Name"?: string;
  "Actual Rows"?: number;
  "Actual Loops"?: number;
  "Rows Removed by Filter"?: number;
  "Rows Removed by Index Recheck"?: number;
  Plans?: PlanNode[];
};

/** The executed plan of `query` as app_tenant inside `organisationId`, flattened to its nodes. */
async function planOf(organisationId: string, query: SQL | ((tx: Tx) => { getSQL(): SQL })): Promise<PlanNode[]> {
  const [row] = await withOrg(db, organisationId, (tx) =>
    queryRows<{ "QUERY PLAN": unknown }>(
      tx,
      sql`explain (analyze, format json) ${typeof query === "function" ? query(tx).getSQL() : query}`,
    ),
  );
  const raw = row?.["QUERY PLAN"];
  const [document] = (typeof raw === "string" ? JSON.parse(raw) : raw) as Array<{ Plan: PlanNode }>;
  const nodes: PlanNode[] = [];
  const walk = (node: PlanNode) => {
    nodes.push(node);
    for (const child of node.Plans ?? []) walk(child);
  };
  if (document) walk(document.Plan);
  return nodes;
}

const describePlan = (nodes: PlanNode[]) =>
  nodes
    .map(
      (node) =>
        `${node["Node Type"]}${node["Index Name"] ? ` (${node["Index Name"]})` : ""}${node["Relation Name"] ? ` on ${node["Relation Name"]}: ${node["Actual Rows"]} rows, ${node["Rows Removed by Filter"] ?? 0} filtered` : ""}`,
    )
    .join(" → ");

/**
 * What the plan read from `table`: every row its scans produced or threw away. A page costs the
 * page when this stays near the page size, however large the organisation.
 */
const rowsRead = (nodes: PlanNode[], table: string) =>
  nodes
    .filter((node) => node["Relation Name"] === table)
    .reduce(
      (sum, node) =>
        sum +
        ((node["Actual Rows"] ?? 0) + (node["Rows Removed by Filter"] ?? 0) + (node["Rows Removed by Index Recheck"] ?? 0)) *
          (node["Actual Loops"] ?? 1),
      0,
    );

/** Reads at most `bound` rows of `table`, never scans a whole table, and, when `index` is named, reads along it. */
function expectPageRead(nodes: PlanNode[], table: string, bound: number, index?: string) {
  const plan = describePlan(nodes);
  expect(rowsRead(nodes, table), plan).toBeLessThanOrEqual(bound);
  expect(
    nodes.filter((node) => node["Node Type"] === "Seq Scan").map((node) => node["Relation Name"]),
    plan,
  ).toEqual([]);
  if (index)
    expect(
      nodes.some((node) => node["Index Name"] === index),
      plan,
    ).toBe(true);
}

describe.each(["small", "medium", "large"] as const)("a %s organisation", (size) => {
  const org = () => orgs[size];
  const PAGE = 50;

  test("the feed's first page reads one page, from the newest", async () => {
    expectPageRead(await planOf(org(), feedPage(org(), { limit: PAGE })), "activities", PAGE + 2);
  });

  test("a deep page reads one page, from its cursor", async () => {
    expectPageRead(await planOf(org(), feedPage(org(), { limit: PAGE, before: BigInt(SIZES[size] / 2) })), "activities", PAGE + 2);
  });

  test("a page of a rare type (1 %) reads only that type, along (organisation_id, type, id)", async () => {
    const first = await planOf(org(), feedPage(org(), { limit: PAGE, type: "PLAN_UPGRADED" }));
    expectPageRead(first, "activities", PAGE + 2);
    if (size !== "small") expectPageRead(first, "activities", PAGE + 2, "activities_org_type_id_idx");
    expectPageRead(
      await planOf(org(), feedPage(org(), { limit: PAGE, type: "PLAN_UPGRADED", before: BigInt(SIZES[size] / 2) })),
      "activities",
      PAGE + 2,
    );
  });

  test("a page of a common type (60 %) reads about a page", async () => {
    expectPageRead(await planOf(org(), feedPage(org(), { limit: PAGE, type: "BROADCAST_MESSAGE" })), "activities", 2 * PAGE);
  });

  test("a realtime catch-up reads what it returns", async () => {
    expectPageRead(await planOf(org(), activityMessagesAfter(org(), BigInt(SIZES[size] - 10), 500)), "activities", 12);
    expectPageRead(await planOf(org(), activityMessagesAfter(org(), 0n, 500)), "activities", 502);
  });

  test("a page of members reads one page", async () => {
    expectPageRead(await planOf(org(), (tx) => membersPageQuery(tx, org(), PAGE)), "memberships", 3 * PAGE);
  });

  test("a page of pending invites reads one page", async () => {
    expectPageRead(await planOf(org(), (tx) => pendingInvitesPageQuery(tx, org(), PAGE)), "invites", PAGE + 2);
  });
});
