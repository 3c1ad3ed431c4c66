import { SQL as BunSql } from "bun";
import { type SQL, sql } from "drizzle-orm";
import { PgDialect } from "drizzle-orm/pg-core";
import { traced } from "../lib/spans.ts";
import type { Db, Tx } from "./client.ts";
import { retriedOnFreshConnection } from "./fresh-connection.ts";
import { queryRows } from "./sql.ts";

/** The non-owner role tenant transactions run as; its policies are in the RLS migration. */
export const TENANT_ROLE = "app_tenant";

/** Makes the rest of the transaction app_tenant inside `organisationId`: both settings end with it. */
const scopeTo = (organisationId: string) =>
  sql`select set_config('role', ${TENANT_ROLE}, true), set_config('app.organisation_id', ${organisationId}, true)`;

const systemScope = sql`select set_config('app.system', 'on', true)`;

/** Work left for after a commit: telling this instance's caches and sockets what changed. */
export type CommitHook = () => void | Promise<void>;

const units = new WeakMap<Tx, { db: Db; hooks: CommitHook[] }>();

/**
 * Runs `hook` once `tx` has committed, before the withOrg or withSystem call that opened it
 * returns to its caller — and never if it rolls back. The one way a change tells this instance:
 * the caller's next request must not be answered from before it.
 */
export function onCommit(tx: Tx, hook: CommitHook): void {
  const unit = units.get(tx);
  if (!unit) throw new Error("onCommit needs a transaction opened by withOrg or withSystem");
  unit.hooks.push(hook);
}

/** The handle `tx` was opened on: per-instance registrations (see notify.ts) are keyed on it. */
export function databaseOf(tx: Tx): Db {
  const unit = units.get(tx);
  if (!unit) throw new Error("not a transaction opened by withOrg or withSystem");
  return unit.db;
}

async function transaction<T>(db: Db, scope: "organisation" | "system", setup: SQL, fn: (tx: Tx) => Promise<T>): Promise<T> {
  const hooks: CommitHook[] = [];
  const result = await unitOfWork(db, scope, () =>
    db.transaction(async (tx) => {
      units.set(tx, { db, hooks });
      await tx.execute(setup);
      return fn(tx);
    }),
  );
  for (const hook of hooks) await hook();
  return result;
}

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
  return transaction(db, "organisation", scopeTo(organisationId), fn);
}

/**
 * Runs `fn` in a transaction that may look across organisations: for the flows that act before
 * an organisation is known (signing in and up, accepting an invite), on a user across all of
 * theirs (refreshing, their memberships, their account), on a whole organisation (deleting it),
 * or for the instance itself (the mail outbox, retention). `grep -rn withSystem src` lists them.
 *
 * `app.system` matters when the application connects as the table owner rather than a
 * superuser: forced RLS then applies to it too, and only this flag opens the system policy.
 */
export function withSystem<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return transaction(db, "system", systemScope, fn);
}

const dialect = new PgDialect({ casing: "snake_case" });

/** Told when a transaction or reserved statement starts and ends: the pool's in-use gauge. */
export type PoolObserver = { started(): void; ended(): void };
const observers = new WeakMap<Db, PoolObserver>();

/** Reports every transaction and reserved statement on `db` to `observer` (one per database). */
export const observePool = (db: Db, observer: PoolObserver) => observers.set(db, observer);

/** Runs one unit of database work: counted for the pool gauge, and a span when tracing is on. */
export async function unitOfWork<T>(db: Db, scope: "organisation" | "system", work: () => Promise<T>): Promise<T> {
  const observer = observers.get(db);
  observer?.started();
  try {
    return await traced("db.transaction", { "db.system": "postgresql", "db.scope": scope }, work);
  } finally {
    observer?.ended();
  }
}

/**
 * statementInOrg for a read: when its connection was cut, it is tried once more on a fresh
 * connection of its own (retriedOnFreshConnection). A read can be repeated without effect; a
 * write is never retried, since it may have committed before the cut.
 */
export async function readInOrg<T>(db: Db, organisationId: string, query: SQL): Promise<T[]> {
  const client = db.$client;
  if (!(client instanceof BunSql)) return statementInOrg<T>(db, organisationId, query);
  return retriedOnFreshConnection(db, client, (on) => unitOfWork(db, "organisation", () => pipelinedInOrg<T>(on, organisationId, query)));
}

/**
 * One read inside `organisationId`, under exactly the protection of withOrg (the same
 * transaction-local role and organisation, so row-level security binds), in one round trip.
 * (A hot read or a write on its own is a self-scoping function instead: db/tenant-reads.ts.)
 *
 * withOrg awaits BEGIN, the settings, the statement and COMMIT one after another: four round
 * trips, most of a hot read's cost. On PostgreSQL all four are written at once on one reserved
 * connection (Bun's client pipelines them) and the answers read back together; the connection
 * is only released once every one has answered, so a COMMIT still in flight never reaches the
 * next user of the connection. After a failed query COMMIT ends the transaction as a rollback.
 * The embedded database has no round trips to save and simply uses withOrg.
 */
export async function statementInOrg<T>(db: Db, organisationId: string, query: SQL): Promise<T[]> {
  const client = db.$client;
  if (!(client instanceof BunSql)) return withOrg(db, organisationId, (tx) => queryRows<T>(tx, query));
  return unitOfWork(db, "organisation", () => pipelinedInOrg<T>(client, organisationId, query));
}

/** BEGIN, the scope, `query` and COMMIT written at once on one reserved connection of `client`, answers read back together. */
async function pipelinedInOrg<T>(client: BunSql, organisationId: string, query: SQL): Promise<T[]> {
  const scope = dialect.sqlToQuery(scopeTo(organisationId));
  const statement = dialect.sqlToQuery(query);
  const connection = await client.reserve();
  try {
    const [begun, scoped, read, ended] = await Promise.allSettled([
      connection`begin`,
      connection.unsafe(scope.sql, scope.params as unknown[]),
      connection.unsafe(statement.sql, statement.params as unknown[]),
      connection`commit`,
    ]);
    for (const step of [begun, scoped, read, ended]) if (step.status === "rejected") throw step.reason;
    return (read as PromiseFulfilledResult<T[]>).value;
  } finally {
    connection.release();
  }
}
