// Migrations applied to a database that already holds data, as an existing deployment upgrades.
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { queryRows } from "../src/db/sql.ts";
import { withSystem } from "../src/db/tenant.ts";
import { recordActivity } from "../src/modules/activity/activity.record.ts";
import { createScratchDatabase } from "./support/database.ts";

const MIGRATIONS = join(import.meta.dir, "..", "drizzle");

/** The migrations folder as it stood at migration `last` (the journal cut there). */
function migrationsUpTo(last: number): string {
  const folder = mkdtempSync(join(tmpdir(), "migrations-"));
  cpSync(MIGRATIONS, folder, { recursive: true });
  const journalPath = join(folder, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as { entries: Array<{ idx: number }> };
  journal.entries = journal.entries.filter((entry) => entry.idx <= last);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

test("0002 renumbers existing activities per organisation, in their old order, and sets each counter", async () => {
  const scratch = await createScratchDatabase();
  try {
    const { database } = scratch;
    const before = migrationsUpTo(1);
    folders.push(before);
    await database.migrate(before);

    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    await withSystem(database.db, async (tx) => {
      await tx.execute(sql`insert into organisations (id, name, slug) values (${a}, 'A', ${`a-${a}`}), (${b}, 'B', ${`b-${b}`})`);
      // One global sequence, the two organisations interleaved: A B A A B.
      for (const [org, message] of [
        [a, "a1"],
        [b, "b1"],
        [a, "a2"],
        [a, "a3"],
        [b, "b2"],
      ] as const) {
        await tx.execute(
          sql`insert into activities (organisation_id, type, message, metadata) values (${org}, 'BROADCAST_MESSAGE', ${message}, '{}')`,
        );
      }
    });

    await database.migrate(MIGRATIONS);

    const rows = await withSystem(database.db, (tx) =>
      queryRows<{ organisation_id: string; id: string; message: string }>(
        tx,
        sql`select organisation_id, id::text as id, message from activities order by organisation_id, id`,
      ),
    );
    const of = (org: string) => rows.filter((row) => row.organisation_id === org).map((row) => [row.id, row.message]);
    expect(of(a)).toEqual([
      ["1", "a1"],
      ["2", "a2"],
      ["3", "a3"],
    ]);
    expect(of(b)).toEqual([
      ["1", "b1"],
      ["2", "b2"],
    ]);

    const next = await withSystem(database.db, (tx) =>
      recordActivity(
        tx,
        { orgId: a, userId: crypto.randomUUID(), name: "Ann", email: "ann@example.com" },
        {
          type: "BROADCAST_MESSAGE",
          payload: {
            message: "after the upgrade",
            sentBy: { id: crypto.randomUUID(), name: "Ann", email: "ann@example.com" },
            sentAt: new Date().toISOString(),
          },
        },
      ),
    );
    expect(next.id).toBe("4");
  } finally {
    await scratch.drop();
  }
});
