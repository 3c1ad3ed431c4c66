import type { SQL } from "drizzle-orm";
import type { Db, Tx } from "./client.ts";

/** Rows of a hand-written statement; both drivers return them as `rows`. */
export async function queryRows<T>(executor: Db | Tx, query: SQL): Promise<T[]> {
  const result = await executor.execute(query);
  return (result as unknown as { rows: T[] }).rows;
}
