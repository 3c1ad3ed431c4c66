import type { SQL } from "bun";
import { isDatabaseUnavailable } from "../lib/errors.ts";

// Keyed by the Drizzle handle (any object: this file sits below client.ts, which registers).
const factories = new WeakMap<object, () => SQL>();

/** Registers how to open a connection of `db`'s server outside its pool (one, closed after use). */
export const registerFreshConnection = (db: object, open: () => SQL) => factories.set(db, open);

/** A client of a single new connection to `db`'s server, or undefined on the embedded database (it has no connections to lose). */
export const freshConnectionOf = (db: object): (() => SQL) | undefined => factories.get(db);

/**
 * `read` on `client`; when its connection was cut (a restart, a failover, a proxy or NAT that
 * dropped it unnoticed), once more on a fresh connection of its own — not the pool's next one,
 * which the same cut may have killed too. For reads only: a write may have committed before the cut.
 */
export async function retriedOnFreshConnection<T>(db: object, client: SQL, read: (client: SQL) => Promise<T>): Promise<T> {
  try {
    return await read(client);
  } catch (error) {
    const fresh = freshConnectionOf(db);
    if (!fresh || !isDatabaseUnavailable(error)) throw error;
    const connection = fresh();
    try {
      return await read(connection);
    } finally {
      await connection.close();
    }
  }
}
