// `bun run soak [--duration=10m]`: the backend as production runs it, under faults, for a while.
// Two API processes (production mode, a non-superuser owner role), Redis-backed budgets, a real
// SMTP relay, 200 resuming sockets over 20 organisations with churn, about 28 requests a second,
// and six faults: a PostgreSQL restart, a SIGKILL of one instance, Redis down for 30 s, the SMTP
// relay down for 60 s, a SIGTERM of the other instance, and every connection of the API
// terminated. At the end it counts, against the database, what was lost, doubled or reordered,
// and exits non-zero on any of it, or on a 5xx outside a fault window.
//
// It RESTARTS THE LOCAL POSTGRESQL CLUSTER (pg_ctlcluster, as root) and runs Redis and the SMTP
// relay of its own: it is not part of `bun test` or CI. DATABASE_URL names the local server as a
// superuser (default postgres://postgres@127.0.0.1:5432/postgres); the soak makes its own
// database and role there and drops the database at the end.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { startRedis } from "../tests/support/redis.ts";
import { startSmtpReceiver } from "../tests/support/smtp.ts";
import { faultPlan, runFaults } from "./faults.ts";
import { createInstance } from "./instance.ts";
import { type Org, SOAK_PASSWORD, startLoad } from "./load.ts";
import { tallyAnswers, tallyDeliveries, tallyMail } from "./report.ts";
import { startWatchers } from "./watchers.ts";

const argument = (name: string) => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.split("=")[1];
if (process.argv.includes("--help")) {
  console.log(`usage: bun run soak [--duration=10m]   (restarts the local PostgreSQL cluster: not for CI)`);
  process.exit(0);
}
const durationText = argument("duration") ?? "10m";
const durationMs = Number(durationText.slice(0, -1)) * { s: 1000, m: 60_000 }[durationText.slice(-1) as "s" | "m"];
if (!Number.isFinite(durationMs) || durationMs < 60_000) throw new Error("--duration is like 10m or 300s, at least a minute");

const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const database = `saas_soak_${randomBytes(3).toString("hex")}`;
const owner = "saas_soak_owner";
const password = randomBytes(12).toString("hex");
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`do $$ begin create role ${owner} login createrole; exception when duplicate_object then null; end $$`);
await admin.query(`alter role ${owner} password '${password}'`);
await admin.query(`create database ${database} owner ${owner}`);
await admin.end();
const ownerUrl = Object.assign(new URL(adminUrl), { username: owner, password, pathname: `/${database}` }).toString();
const dbAdminUrl = Object.assign(new URL(adminUrl), { pathname: `/${database}` }).toString();

const redis = await startRedis();
let smtp = await startSmtpReceiver();
const smtpPort = smtp.port;
const received: Array<{ to: string[]; raw: string }> = [];
const keepMail = () => {
  const current = smtp;
  const timer = setInterval(() => received.push(...current.received.splice(0)), 200);
  return () => {
    clearInterval(timer);
    received.push(...current.received.splice(0));
  };
};
let stopKeeping = keepMail();
const smtpFault = {
  async stop() {
    stopKeeping();
    await smtp.close();
  },
  async start() {
    smtp = await startSmtpReceiver(smtpPort);
    stopKeeping = keepMail();
  },
};

const env = {
  NODE_ENV: "production",
  LOG_LEVEL: "warn",
  DATABASE_URL: ownerUrl,
  REDIS_URL: redis.url,
  RATE_LIMIT_PREFIX: database,
  SMTP_URL: smtp.url,
  MAIL_FROM: "Soak <soak@soak.example>",
  JWT_ACCESS_SECRET: randomBytes(32).toString("hex"),
  JWT_REFRESH_SECRET: randomBytes(32).toString("hex"),
  JWT_ACCESS_EXPIRES_IN: "2h",
  BCRYPT_COST: "4",
  ...Object.fromEntries(
    [
      "RATE_LIMIT_MAX",
      "RATE_LIMIT_AUTH_MAX",
      "RATE_LIMIT_ACCOUNT_MAX",
      "RESET_EMAILS_PER_HOUR",
      "INVITE_EMAILS_PER_HOUR",
      "INVITES_PER_DAY",
    ].map((key) => [key, "1000000000"]),
  ),
};
const a = createInstance("instance A", 39_101, env);
const b = createInstance("instance B", 39_102, env);
await Promise.all([a.start(), b.start()]);
console.log(`soak: ${durationText} against ${database}; instances on ${a.base} and ${b.base}`);

// 20 organisations on ENTERPRISE, each with its ADMIN signed in.
const orgs: Org[] = [];
for (let i = 0; i < 20; i++) {
  const email = `soak-admin-${i}-${randomBytes(3).toString("hex")}@soak.example`;
  const registered = await fetch(`${a.base}/api/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: `Admin ${i}`, email, password: SOAK_PASSWORD, organisationName: `Soak org ${i}` }),
  });
  const { data } = (await registered.json()) as { data: { accessToken: string; user: { id: string }; organisation: { id: string } } };
  await fetch(`${a.base}/api/organisations/subscription`, {
    method: "PATCH",
    headers: { "content-type": "application/json", authorization: `Bearer ${data.accessToken}` },
    body: JSON.stringify({ plan: "ENTERPRISE" }),
  });
  orgs.push({ id: data.organisation.id, name: `Soak org ${i}`, admin: { id: data.user.id, email, token: data.accessToken }, members: [] });
}

const instances = [a, b] as [typeof a, typeof b];
const watchers = startWatchers(
  instances,
  Array.from({ length: 200 }, (_, i) => {
    const org = orgs[i % orgs.length] as Org;
    return { organisationId: org.id, token: () => org.admin.token };
  }),
);
await Bun.sleep(3000);
const load = startLoad(instances, orgs, { perSecond: 28 });
const started = Date.now();
const faults = await runFaults(
  faultPlan({ instances, redis, smtp: smtpFault, adminUrl: dbAdminUrl, database }, durationMs / 600_000),
  instances,
  durationMs,
  started,
);
if (Date.now() < started + durationMs) await Bun.sleep(started + durationMs - Date.now());
await load.stop();

// Let what was accepted finish arriving: mail retried after the relay's outage, sockets catching up.
const drainedBy = Date.now() + 180_000;
while (Date.now() < drainedBy && tallyMail(load.promisedMail, received).arrived < tallyMail(load.promisedMail, received).expected)
  await Bun.sleep(1000);
await Bun.sleep(3000);
watchers.stop();
stopKeeping();

const deliveries = await tallyDeliveries(dbAdminUrl, watchers);
const mail = tallyMail(load.promisedMail, received);
const answers = tallyAnswers(load.outcomes, faults);
const rows = [
  ["socket deliveries expected from the database", deliveries.expected],
  ["socket deliveries arrived", deliveries.arrived],
  ["doubled", deliveries.doubled],
  ["out of order", deliveries.outOfOrder],
  ["replays truncated", deliveries.truncated],
  ["mail expected (invitations and password resets)", mail.expected],
  ["mail arrived", mail.arrived],
  ["mail doubled", mail.doubled],
  ["requests", answers.requests],
  ["5xx inside fault windows", answers.serverErrorsInside],
  ["5xx outside fault windows", answers.serverErrorsOutside],
  ["unreachable outside fault windows", answers.unreachableOutside],
  ...faults.map((fault) => [
    `/ready on both after: ${fault.name}`,
    fault.readyAfterMs === null ? "never" : `${(fault.readyAfterMs / 1000).toFixed(2)} s`,
  ]),
];
console.log(`\nsoak of ${durationText}, ${new Date().toISOString()}\n\n| figure | value |\n| --- | --- |`);
for (const [figure, value] of rows) console.log(`| ${figure} | ${value} |`);
if (answers.byRoute5xxOutside) console.log(`\n5xx outside the windows: ${answers.byRoute5xxOutside}`);

await Promise.all([a.signal("SIGTERM"), b.signal("SIGTERM")]);
await redis.stop();
await smtp.close();
const cleaner = new pg.Client({ connectionString: adminUrl });
await cleaner.connect();
await cleaner.query(`drop database if exists ${database} with (force)`);
await cleaner.end();

const clean =
  deliveries.expected === deliveries.arrived &&
  deliveries.doubled === 0 &&
  deliveries.outOfOrder === 0 &&
  mail.arrived === mail.expected &&
  mail.doubled === 0 &&
  answers.serverErrorsOutside === 0 &&
  answers.unreachableOutside === 0 &&
  faults.every((fault) => fault.readyAfterMs !== null);
console.log(clean ? "\nsoak: clean" : "\nsoak: FAILED");
process.exit(clean ? 0 : 1);
