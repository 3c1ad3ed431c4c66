import { sql } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";

/** The non-owner role tenant transactions run as; its policies are in the RLS migration. */
export const TENANT_ROLE = "app_tenant";

/**
 * Runs `fn` in a transaction that can only see and write rows of `organisationId`.
 *
 * Two locks on one door: every query here also filters by organisation, and the transaction
 * switches to the tenant role with the organisation set, so row-level security refuses
 * anything else even when a query forgets its WHERE clause. Both settings are
 * transaction-local (`set_config(…, true)`), so a pooled connection never carries them into
 * someone else's request.
 */
export function withOrg<T>(db: Db, organisationId: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('role', ${TENANT_ROLE}, true), set_config('app.organisation_id', ${organisationId}, true)`,
    );
    return fn(tx);
  });
}

/**
 * Runs `fn` in a transaction that may look across organisations: for the flows that act before
 * an organisation is known, or on a user across all of theirs (signing in and up, refreshing,
 * accepting an invite, listing a user's memberships). `grep -rn withSystem src` lists them all.
 */
export function withSystem<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    // Matters when the application connects as the table owner rather than a superuser:
    // forced RLS then applies to it too, and only this flag opens the system policy.
    await tx.execute(sql`select set_config('app.system', 'on', true)`);
    return fn(tx);
  });
}
