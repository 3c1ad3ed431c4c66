import { SQL as BunSql } from "bun";
import type { Db } from "./client.ts";
import { retriedOnFreshConnection } from "./fresh-connection.ts";
import { unitOfWork } from "./tenant.ts";
import type { Read, Write } from "./tenant-reads.ts";

// Calling the self-scoping functions that db/tenant-reads.ts defines: each call one statement.

/**
 * Runs `write` with `args` as its one statement, which commits on its own. Never repeated: a write
 * whose connection was cut may have committed before the cut.
 */
export function runWrite<Row>(db: Db, write: Write, args: readonly unknown[]): Promise<Row[]> {
  return unitOfWork(db, write.scope, () => call<Row>(db.$client, write.call, args));
}

/**
 * Runs `read` with `args` (for an organisation read, the organisation first) as its one
 * statement. Like readInOrg, a read whose connection was cut is tried once more on a fresh
 * connection: a read can be repeated without effect.
 */
export function runRead<Row>(db: Db, read: Read, args: readonly unknown[]): Promise<Row[]> {
  const client = db.$client;
  return unitOfWork(db, read.scope, () =>
    client instanceof BunSql
      ? retriedOnFreshConnection(db, client, (on) => call<Row>(on, read.call, args))
      : call<Row>(client, read.call, args),
  );
}

async function call<Row>(client: Db["$client"], statement: string, args: readonly unknown[]): Promise<Row[]> {
  if (client instanceof BunSql) return (await client.unsafe(statement, args as unknown[])) as Row[];
  // The embedded database: the same call through PGlite's own query, whose types (Date for a
  // timestamp) are Bun's client's; Drizzle's PGlite driver would hand timestamps back as text.
  return (await client.query<Row>(statement, args as unknown[])).rows;
}
