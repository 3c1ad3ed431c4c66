import { SQL as BunSql } from "bun";
import { isDatabaseUnavailable } from "../lib/errors.ts";
import type { Db } from "./client.ts";
import { freshConnectionOf } from "./fresh-connection.ts";
import { unitOfWork } from "./tenant.ts";
import type { Read, Write } from "./tenant-reads.ts";

// Calling the self-scoping functions that db/tenant-reads.ts defines: each call one statement.

/**
 * Runs `write` with `args` as its one statement, which commits on its own. Never repeated: a write
 * whose connection was cut may have committed before the cut.
 */
export async function runWrite<Row>(db: Db, write: Write, args: readonly unknown[]): Promise<Row[]> {
  const client = db.$client;
  if (!(client instanceof BunSql)) {
    return unitOfWork(db, write.scope, async () => (await client.query<Row>(write.call, args as unknown[])).rows);
  }
  return unitOfWork(db, write.scope, async () => (await client.unsafe(write.call, args as unknown[])) as Row[]);
}

/**
 * Runs `read` with `args` (for an organisation read, the organisation first) as its one
 * statement. Like readInOrg, a read whose connection was cut is tried once more on a fresh
 * connection: a read can be repeated without effect.
 */
export async function runRead<Row>(db: Db, read: Read, args: readonly unknown[]): Promise<Row[]> {
  const client = db.$client;
  if (!(client instanceof BunSql)) {
    // The embedded database: the same call through PGlite's own query, whose types (Date for a
    // timestamp) are Bun's client's; Drizzle's PGlite driver would hand timestamps back as text.
    return unitOfWork(db, read.scope, async () => (await client.query<Row>(read.call, args as unknown[])).rows);
  }
  return unitOfWork(db, read.scope, async () => {
    try {
      return (await client.unsafe(read.call, args as unknown[])) as Row[];
    } catch (error) {
      const fresh = freshConnectionOf(db);
      if (!fresh || !isDatabaseUnavailable(error)) throw error;
      const connection = fresh();
      try {
        return (await connection.unsafe(read.call, args as unknown[])) as Row[];
      } finally {
        await connection.close();
      }
    }
  });
}
