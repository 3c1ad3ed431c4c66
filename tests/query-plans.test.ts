// Every hot tenant read, as app_tenant under row-level security, reads along its index at every
// organisation size: no sort of the organisation's whole history, no bitmap scan of it, no
// sequential scan. (With the system policy OR-ed into the tenant's, the planner misjudged a
// 2,000-activity organisation and scanned all of it, then sorted.) The reads run inside their
// functions (db/tenant-reads.ts), which fix how each is planned: once, generically (every hot
// read), or for each call's values (the export batch). Each is checked both ways, from the very
// statement the function holds, so neither choice can hide a scan of the organisation.
import { beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import type { Db, Tx } from "../src/db/client.ts";
import { queryRows } from "../src/db/sql.ts";
import { withOrg, withSystem } from "../src/db/tenant.ts";
import type { Read } from "../src/db/tenant-reads.ts";
import { exportBatchRead, feedPageRead, messagesAfterRead } from "../src/modules/activity/index.ts";
import { membersPageRead, pendingInvitesPageRead } from "../src/modules/members/index.ts";
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

/** A value as an SQL literal (test data only: uuids, numbers, booleans, null). */
const literal = (value: unknown) =>
  value === null ? "null" : typeof value === "number" || typeof value === "boolean" ? String(value) : `'${String(value)}'`;

let prepared = 0;

/**
 * The executed plan of `read`'s statement for `flags`, with `args`, as app_tenant inside
 * `organisationId` (its first argument), flattened to its nodes: prepared and executed with a
 * plan for these values (`custom`) or with the plan for any values (`generic`).
 */
async function planOf(read: Read, flags: Record<string, boolean>, args: unknown[], mode: "custom" | "generic"): Promise<PlanNode[]> {
  const name = `plan_test_${prepared++}`;
  const types = read.params.map((param) => param.slice(param.indexOf(" ") + 1)).join(", ");
  const [row] = await withOrg(db, args[0] as string, async (tx) => {
    await tx.execute(sql.raw(`set local plan_cache_mode = force_${mode}_plan`));
    await tx.execute(sql.raw(`prepare ${name}(${types}) as ${read.statement(flags)}`));
    try {
      return await queryRows<{ "QUERY PLAN": unknown }>(
        tx,
        sql.raw(`explain (analyze, format json) execute ${name}(${args.map(literal).join(", ")})`),
      );
    } finally {
      await tx.execute(sql.raw(`deallocate ${name}`));
    }
  });
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

const cases = (["small", "medium", "large"] as const).flatMap((size) =>
  (["custom", "generic"] as const).map((mode) => [size, mode] as const),
);

describe.each(cases)("a %s organisation, %s plans", (size, mode) => {
  const org = () => orgs[size];
  const PAGE = 50;
  const middle = () => String(SIZES[size] / 2);
  const feed = (before: string | null, type: string | null, flags: { typed: boolean; withContext?: boolean }) =>
    planOf(
      feedPageRead,
      { withContext: false, resumed: before !== null, ...flags },
      [org(), PAGE, before, type, flags.withContext ?? false],
      mode,
    );

  test("the feed's first page reads one page, from the newest", async () => {
    expectPageRead(await feed(null, null, { typed: false }), "activities", PAGE + 2);
    expectPageRead(await feed(null, null, { typed: false, withContext: true }), "activities", PAGE + 2);
  });

  test("a deep page reads one page, from its cursor", async () => {
    expectPageRead(await feed(middle(), null, { typed: false }), "activities", PAGE + 2);
  });

  test("a page of a rare type (1 %) reads only that type, along (organisation_id, type, id)", async () => {
    const first = await feed(null, "PLAN_UPGRADED", { typed: true });
    expectPageRead(first, "activities", PAGE + 2);
    if (size !== "small") expectPageRead(first, "activities", PAGE + 2, "activities_org_type_id_idx");
    expectPageRead(await feed(middle(), "PLAN_UPGRADED", { typed: true }), "activities", PAGE + 2);
  });

  test("a page of a common type (60 %) reads about a page", async () => {
    expectPageRead(await feed(null, "BROADCAST_MESSAGE", { typed: true }), "activities", 2 * PAGE);
  });

  test("a realtime catch-up reads what it returns", async () => {
    expectPageRead(await planOf(messagesAfterRead, {}, [org(), String(SIZES[size] - 10), 500], mode), "activities", 12);
    expectPageRead(await planOf(messagesAfterRead, {}, [org(), "0", 500], mode), "activities", 502);
  });

  test("an export batch reads the batch, of every type or of one", async () => {
    // Its function plans every call with its values (plans: "custom"): the generic plan is never used.
    expect(exportBatchRead.definition()[0]).toContain("set plan_cache_mode = force_custom_plan");
    const batch = (type: string | null, csv: boolean) =>
      planOf(exportBatchRead, { typed: type !== null, csv }, [org(), middle(), type, null, null, csv], "custom");
    expectPageRead(await batch(null, false), "activities", 1002);
    expectPageRead(await batch(null, true), "activities", 1002);
    if (size !== "small") expectPageRead(await batch("PLAN_UPGRADED", false), "activities", 1002, "activities_org_type_id_idx");
  });

  test("a page of members reads one page, the first or from a cursor", async () => {
    expectPageRead(await planOf(membersPageRead, { resumed: false }, [org(), PAGE, null, null], mode), "memberships", 3 * PAGE);
    const [cursor] = await withSystem(db, (tx) =>
      queryRows<{ at: string; id: string }>(
        tx,
        sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, user_id as id from memberships
            where organisation_id = ${org()} order by created_at, user_id offset ${SIZES[size] / 20} limit 1`,
      ),
    );
    expectPageRead(await planOf(membersPageRead, { resumed: true }, [org(), PAGE, cursor?.at, cursor?.id], mode), "memberships", 3 * PAGE);
  });

  test("a page of pending invites reads one page", async () => {
    expectPageRead(await planOf(pendingInvitesPageRead, { resumed: false }, [org(), PAGE, null, null], mode), "invites", PAGE + 2);
  });
});
