// The database a floor reads: the run's PostgreSQL database (as the same owner role, with the
// system policy open, so row-level security costs it nothing), or its own copy of the embedded one.
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

export type FloorDatabase = { query<T>(name: string, text: string, params: unknown[]): Promise<T[]> };

export async function floorDatabase(): Promise<FloorDatabase> {
  const url = process.env.FLOOR_DATABASE_URL;
  if (url) {
    // The system policy only matters when the URL is not a superuser's (see dataset.ts).
    const pool = new pg.Pool({ connectionString: url, max: 10, options: "-c app.system=on" });
    return { query: async <T>(name: string, text: string, values: unknown[]) => (await pool.query({ name, text, values })).rows as T[] };
  }
  const db = await PGlite.create(process.env.FLOOR_PGLITE_DIR as string);
  return { query: async <T>(_name: string, text: string, params: unknown[]) => (await db.query<T>(text, params)).rows };
}
