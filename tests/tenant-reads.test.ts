// The hot reads and writes as self-scoping statements (db/tenant-reads.ts): the migrated database
// holds exactly the functions the code renders; row-level security binds their queries; no caller
// can use one to reach an organisation it was not given; and nothing of a call's scope survives
// it, on a pooled connection or inside a transaction, after success and after failure.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { Db } from "../src/db/client.ts";
import { queryRows } from "../src/db/sql.ts";
import { withOrg, withSystem } from "../src/db/tenant.ts";
import { runRead, runWrite } from "../src/db/tenant-calls.ts";
import { defineRead, defineWrite, type Read } from "../src/db/tenant-reads.ts";
import { feedPageRead } from "../src/modules/activity/index.ts";
import { SCOPED_FUNCTIONS } from "../src/reads.ts";
import { databaseError, testDatabase } from "./support/database.ts";
import { registerOrg, type Session } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();
let db: Db;
let a: Session;
let b: Session;

/** Reads made for a test only: created from their definitions as the migration would, dropped afterwards. */
const scratch: Read[] = [];
async function create<T extends Read>(read: T): Promise<T> {
  for (const statement of read.definition()) await db.execute(sql.raw(statement));
  scratch.push(read);
  return read;
}

beforeAll(async () => {
  db = (await testDatabase()).database.db;
  a = await registerOrg(api);
  b = await registerOrg(api);
  for (const session of [a, b])
    for (let i = 0; i < 3; i++)
      await api.post("/api/organisations/broadcast", { token: session.accessToken, body: { message: `hello ${i}` } });
});

afterAll(async () => {
  for (const read of scratch) {
    const types = read.params.map((param) => param.slice(param.indexOf(" ") + 1)).join(", ");
    await db.execute(sql.raw(`drop function if exists ${read.name}(${types})`));
  }
});

describe("the functions in the database", () => {
  test("are exactly what the code renders: body, arguments, result, settings", async () => {
    for (const read of SCOPED_FUNCTIONS) {
      const [stored] = await queryRows<{ body: string; args: string; result: string; config: string[] | null }>(
        db,
        sql`select prosrc as body, pg_get_function_identity_arguments(oid) as args, pg_get_function_result(oid) as result,
                   proconfig as config
            from pg_proc where proname = ${read.name}`,
      );
      if (!stored) throw new Error(`${read.name} is not in the database: run \`bun run db:reads\``);
      if (stored.body !== read.body()) throw new Error(`${read.name} differs from src/reads.ts: run \`bun run db:reads\``);
      // The database spells types its own way (timestamptz is "timestamp with time zone").
      const canonical = async (columns: readonly string[], prefix: string) => {
        const spelled: string[] = [];
        for (const column of columns) {
          const [name, type] = [column.slice(0, column.indexOf(" ")), column.slice(column.indexOf(" ") + 1)];
          const [row] = await queryRows<{ type: string }>(db, sql`select ${type}::regtype::text as type`);
          spelled.push(`${prefix}${name} ${row?.type}`);
        }
        return spelled.join(", ");
      };
      expect(stored.args).toBe(await canonical(read.params, "p_"));
      expect(stored.result).toBe(`TABLE(${await canonical(read.returns, "")})`);
      expect(stored.config ?? []).toEqual([`plan_cache_mode=force_${read.plans ?? "generic"}_plan`]);
    }
  });

  test("no migration is left to write: every read's definition is in drizzle/, word for word", async () => {
    const run = Bun.spawnSync(["bun", "scripts/db-reads.ts", "--check"], { cwd: `${import.meta.dir}/..` });
    expect(run.stdout.toString()).toContain("the migrations already define every hot read");
  });

  test("only the owning role may call them: app_tenant may not", async () => {
    for (const read of SCOPED_FUNCTIONS) {
      const [grant] = await queryRows<{ allowed: boolean }>(
        db,
        sql`select has_function_privilege('app_tenant', oid, 'execute') as allowed from pg_proc where proname = ${read.name}`,
      );
      expect({ read: read.name, allowed: grant?.allowed }).toEqual({ read: read.name, allowed: false });
    }
  });
});

describe("row-level security inside a read", () => {
  test("a query with no WHERE clause returns only the organisation's rows", async () => {
    const unscoped = await create(
      defineRead({
        name: `test_unscoped_${randomUUID().slice(0, 8)}`,
        scope: "organisation",
        params: ["organisation uuid"],
        returns: ["organisation_id uuid"],
        query: () => "select organisation_id from activities", // no WHERE: the function's scope alone
      }),
    );
    for (const session of [a, b]) {
      const rows = await runRead<{ organisation_id: string }>(db, unscoped, [session.organisation.id]);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(new Set(rows.map((row) => row.organisation_id))).toEqual(new Set([session.organisation.id]));
    }
  });

  test("the feed read returns exactly its organisation's page", async () => {
    const [page] = await runRead<{ items: string }>(db, feedPageRead, [a.organisation.id, 50, null, null, false]);
    const items = JSON.parse(page?.items ?? "[]") as { metadata: { message: string } }[];
    expect(items.map((item) => item.metadata.message)).toEqual(["hello 2", "hello 1", "hello 0"]);
  });
});

describe("no way into an organisation it was not given", () => {
  const callFeed = (organisationId: string) =>
    sql`select * from activity_feed_page(${organisationId}::uuid, 50, null::bigint, null::text, false)`;

  test("code running as app_tenant (inside withOrg) cannot call a read at all", async () => {
    expect(await databaseError(withOrg(db, a.organisation.id, (tx) => queryRows(tx, callFeed(b.organisation.id))))).toContain(
      "permission denied",
    );
    expect(await databaseError(withOrg(db, a.organisation.id, (tx) => queryRows(tx, callFeed(a.organisation.id))))).toContain(
      "permission denied",
    );
  });

  test("a read of one organisation refuses to run inside another organisation's scope", async () => {
    const error = await databaseError(
      withSystem(db, async (tx) => {
        await tx.execute(sql`select set_config('app.organisation_id', ${a.organisation.id}, true)`);
        return queryRows(tx, callFeed(b.organisation.id));
      }),
    );
    expect(error).toContain("inside the scope of another");
  });
});

const stateOf = (executor: Parameters<typeof queryRows>[0]) =>
  queryRows<{ role: string; org: string | null; system: string | null }>(
    executor,
    sql`select current_user as role, current_setting('app.organisation_id', true) as org,
               current_setting('app.system', true) as system, pg_sleep(0.05)::text`,
  );

/** More concurrent statements than the pool has connections, held a moment, so every connection answers: each is the owner again, in no organisation. */
async function expectEveryConnectionUnscoped() {
  const states = await Promise.all(Array.from({ length: 20 }, () => stateOf(db)));
  const owner = (await queryRows<{ role: string }>(db, sql`select session_user as role`))[0]?.role;
  for (const [state] of states) {
    expect(state?.role).toBe(owner as string);
    expect(state?.org || null).toBeNull();
  }
}

describe("nothing of a read's scope survives it", () => {
  test("on every pooled connection, after reads that succeed and reads that fail", async () => {
    const failing = await create(
      defineRead({
        name: `test_failing_${randomUUID().slice(0, 8)}`,
        scope: "organisation",
        params: ["organisation uuid"],
        returns: ["n integer"],
        query: () => "select (1 / (count(*) - count(*)))::integer from activities", // fails after the scope is set
      }),
    );
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        index % 2 ? runRead(db, failing, [a.organisation.id]) : runRead(db, feedPageRead, [a.organisation.id, 50, null, null, false]),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toHaveLength(20);
    await expectEveryConnectionUnscoped();
  });

  test("inside a transaction, after the read: the caller's role and settings are back", async () => {
    const [before, after] = await withSystem(db, async (tx) => {
      const [outer] = await stateOf(tx);
      await queryRows(tx, sql`select * from activity_feed_page(${a.organisation.id}::uuid, 50, null::bigint, null::text, false)`);
      const [inner] = await stateOf(tx);
      return [outer, inner];
    });
    expect(after).toEqual(before as NonNullable<typeof before>);
    expect(after?.system).toBe("on");
  });
});

describe("a write as one self-scoping statement", () => {
  const activityCount = async (organisationId: string) =>
    Number(
      (
        await withSystem(db, (tx) =>
          queryRows<{ n: string }>(tx, sql`select count(*) as n from activities where organisation_id = ${organisationId}`),
        )
      )[0]?.n,
    );
  // Inserting a row of the organisation in $2: row-level security's WITH CHECK decides.
  const insertInto = () =>
    create(
      defineWrite({
        name: `test_insert_${randomUUID().slice(0, 8)}`,
        scope: "organisation",
        params: ["organisation uuid", "into uuid"],
        returns: ["id text"],
        query: () => `
insert into activities (organisation_id, id, type, message, metadata)
values ($2, 1000000 + (random() * 1000000)::bigint, 'BROADCAST_MESSAGE', 'planted', '{}')
returning id::text`,
      }),
    );

  test("row-level security binds it: an UPDATE with no WHERE changes only its organisation's row", async () => {
    const touchAll = await create(
      defineWrite({
        name: `test_touch_${randomUUID().slice(0, 8)}`,
        scope: "organisation",
        params: ["organisation uuid"],
        returns: ["id uuid"],
        query: () => "update organisations set last_activity_id = last_activity_id returning id", // no WHERE
      }),
    );
    const rows = await runWrite<{ id: string }>(db, touchAll, [a.organisation.id]);
    expect(rows.map((row) => row.id)).toEqual([a.organisation.id]);
  });

  test("a row for another organisation is refused, and nothing is written", async () => {
    const insert = await insertInto();
    const before = await activityCount(b.organisation.id);
    expect(await databaseError(runWrite(db, insert, [a.organisation.id, b.organisation.id]))).toContain("row-level security");
    expect(await activityCount(b.organisation.id)).toBe(before);
  });

  test("recording an activity inside another organisation's scope is refused", async () => {
    const error = await databaseError(
      withSystem(db, async (tx) => {
        await tx.execute(sql`select set_config('app.organisation_id', ${a.organisation.id}, true)`);
        return queryRows(
          tx,
          sql`select * from record_activity(${b.organisation.id}::uuid, 'BROADCAST_MESSAGE', 'planted', null, null, '{}', null, null, null, null, null)`,
        );
      }),
    );
    expect(error).toContain("a write to organisation");
    expect(error).toContain("inside the scope of another");
  });

  test("nothing of its scope survives it, on every pooled connection, after writes that commit and writes that fail", async () => {
    const insert = await insertInto();
    const before = await activityCount(a.organisation.id);
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, (_, index) =>
        runWrite(db, insert, index % 2 ? [a.organisation.id, b.organisation.id] : [a.organisation.id, a.organisation.id]),
      ),
    );
    expect(results.filter((result) => result.status === "rejected")).toHaveLength(20);
    expect(await activityCount(a.organisation.id)).toBe(before + 20);
    await expectEveryConnectionUnscoped();
  });
});
