import { sql } from "drizzle-orm";
import { queryRows } from "../../src/db/sql.ts";
import { withSystem } from "../../src/db/tenant.ts";
import { testDatabase } from "./database.ts";

const TABLES = [
  "organisations",
  "users",
  "memberships",
  "invites",
  "sessions",
  "refresh_tokens",
  "activities",
  "outbox",
  "password_resets",
  "email_verifications",
  "billing_subscriptions",
  "billing_events",
  "billing_notices",
  "jobs",
  "totp_factors",
  "recovery_codes",
  "passkeys",
  "platform_audit",
] as const;

/**
 * Every table's row count and its newest row version: equal snapshots before and after a
 * request mean it inserted, updated and deleted nothing. Any committed insert or update writes a
 * row version stamped with a transaction id newer than every one before it (`xmin`); a delete
 * lowers the count (and a delete with an insert adds a newer version). Reading `xmin` scans no
 * row's content, so a snapshot stays cheap however large the suite has made the tables.
 */
export async function snapshotDatabase(): Promise<Record<(typeof TABLES)[number], string>> {
  const { db } = (await testDatabase()).database;
  // The outbox's delivery bookkeeping (attempts, claims, sent_at, the body cleared once sent, a
  // reset request resolved) moves on its own as senders work: what a request may or may not
  // have written is which messages exist.
  // Senders also mint reset and verification tokens as they send (the account is resolved then):
  // what a request may change of those is whether a token was spent.
  // Jobs likewise move as runners work them: what a request may have written is which jobs exist.
  const digestOf = (table: string) =>
    table === "outbox"
      ? "count(*) || ':' || coalesce(md5(string_agg((t.id, t.organisation_id, t.kind)::text, ',' order by t.id)), '')"
      : table === "jobs"
        ? "count(*) || ':' || coalesce(md5(string_agg((t.id, t.kind, t.key)::text, ',' order by t.id)), '')"
        : "count(*) || ':' || coalesce(max(t.xmin::text::bigint), 0)";
  const spentOnly = new Set(["password_resets", "email_verifications"]);
  const columns = TABLES.map(
    (table) => `(select ${digestOf(table)} from ${table} t${spentOnly.has(table) ? " where t.used_at is not null" : ""}) as ${table}`,
  );
  const [row] = await withSystem(db, (tx) => queryRows<Record<string, string>>(tx, sql.raw(`select ${columns.join(", ")}`)));
  return Object.fromEntries(TABLES.map((table) => [table, String(row?.[table])])) as never;
}

/** Runs `query` as the system, for assertions about what the database holds. */
export async function inDatabase<T>(query: Parameters<typeof withSystem<T>>[1]): Promise<T> {
  return withSystem((await testDatabase()).database.db, query);
}
