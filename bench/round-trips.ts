// Database round trips per request, counted rather than estimated.
//
//   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres bun bench/round-trips.ts
//
// node-postgres sends one query per round trip (it does not pipeline), so counting calls to
// Client#query while a request runs counts its round trips. Runs on a scratch database that it
// creates on DATABASE_URL's server and drops afterwards.
import pg from "pg";
import { loadConfig } from "../src/config/env.ts";
import { createLogger } from "../src/lib/logger.ts";
import { startServer } from "../src/index.ts";
import { createScratchDatabase } from "./support/scratch-database.ts";
import { markdownTable } from "./support/stats.ts";

let queries = 0;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  queries++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

const scratch = await createScratchDatabase("roundtrips");
const { config } = loadConfig({
  ...process.env,
  DATABASE_URL: scratch.url,
  PORT: "0",
  LOG_LEVEL: "warn",
  BCRYPT_COST: "4",
  RATE_LIMIT_MAX: "1000000",
  RATE_LIMIT_AUTH_MAX: "1000000",
});
const server = await startServer({ config, logger: createLogger("warn") });
const base = `http://127.0.0.1:${server.port}`;

async function count(label: string, path: string, init: RequestInit = {}) {
  const before = queries;
  const response = await fetch(`${base}${path}`, init);
  const body = await response.json();
  return { row: { request: label, status: response.status, "round trips": queries - before }, body };
}

const json = (token: string | undefined, body?: unknown): RequestInit => ({
  method: body === undefined ? "GET" : "POST",
  headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
  body: body === undefined ? undefined : JSON.stringify(body),
});

try {
  const rows = [];
  const registered = await count("POST /api/auth/register", "/api/auth/register", json(undefined, {
    name: "Counter",
    email: `count-${Date.now()}@example.com`,
    password: "count-the-trips",
    organisationName: "Counting",
  }));
  rows.push(registered.row);
  const token = (registered.body as { data: { accessToken: string } }).data.accessToken;
  rows.push((await count("GET /api/organisations (session not cached yet)", "/api/organisations", json(token))).row);
  rows.push((await count("GET /api/organisations (session cached)", "/api/organisations", json(token))).row);
  rows.push((await count("GET /api/activities", "/api/activities", json(token))).row);
  rows.push((await count("GET /api/users", "/api/users", json(token))).row);
  rows.push((await count("POST /api/organisations/broadcast", "/api/organisations/broadcast", json(token, { message: "hi" }))).row);
  rows.push((await count("POST /api/users/invite", "/api/users/invite", json(token, { email: "x@example.com", role: "MEMBER" }))).row);
  rows.push((await count("GET /health", "/health")).row);
  console.log(markdownTable(rows));
  console.log("\nA signed-in request costs its own transaction (BEGIN, set_config, its queries, COMMIT) and nothing for the session check while the session is cached.");
} finally {
  await server.stop();
  await scratch.drop();
}
