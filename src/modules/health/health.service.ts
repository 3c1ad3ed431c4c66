import { sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";

export function createHealthService({ db }: { db: Db }) {
  return {
    /** One trivial query: false while the database cannot be reached. */
    databaseReachable: (): Promise<boolean> =>
      db.execute(sql`select 1`).then(
        () => true,
        () => false,
      ),
  };
}
