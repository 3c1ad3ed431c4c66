import { randomBytes } from "node:crypto";
import pg from "pg";

/** A throwaway database on DATABASE_URL's server, so a benchmark never touches real data. */
export async function createScratchDatabase(label: string) {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error("set DATABASE_URL to a PostgreSQL server; this benchmark runs on a scratch database there");
  const name = `saas_${label}_${randomBytes(3).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`drop database ${name} with (force)`);
      await admin.end();
    },
  };
}
