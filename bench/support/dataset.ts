// The benchmark's data: a database shaped like a real deployment, seeded once per run, that the
// API and every floor read in the same run.
//
// On PostgreSQL (DATABASE_URL set) it is a fresh database owned by a non-superuser role the run
// creates, so row-level security binds as it does in production. Embedded, it is a PGlite data
// directory; each process that reads it (the API, each floor) gets its own copy, since PGlite
// is one process's database.

import { randomBytes } from "node:crypto";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import pg from "pg";
import { loadConfig } from "../../src/config/env.ts";
import { createDatabase, type Database } from "../../src/db/client.ts";
import { runMigrations } from "../../src/db/migrate.ts";
import { queryRows } from "../../src/db/sql.ts";
import { withSystem } from "../../src/db/tenant.ts";
import { encodeTimeKey } from "../../src/lib/cursor.ts";
import { signAccessToken } from "../../src/lib/jwt.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { ACTIVITY_TYPES, type Role } from "../../src/lib/vocabulary.ts";

export const BENCH_SECRETS = {
  JWT_ACCESS_SECRET: `bench-access-${randomBytes(24).toString("hex")}`,
  JWT_REFRESH_SECRET: `bench-refresh-${randomBytes(24).toString("hex")}`,
};

export type Member = { userId: string; email: string; sessionId: string; role: Role; token: string };
export const BENCH_PASSWORD = "bench-password";
export type Org = { id: string; activities: number; members: Member[] };
/** An organisation for the members and invites pages: its ADMIN, how many of each, and the cursor after which the second half of each list starts. */
export type Roster = { admin: Member; memberCount: number; inviteCount: number; membersMiddle: string; invitesMiddle: string };

export type Dataset = {
  driver: "pg" | "pglite";
  /** Environment for an API instance on this data. */
  apiEnv(): Record<string, string>;
  /** Where a floor reads the same data (a connection string, or its own PGlite copy). */
  floorEnv(): Record<string, string>;
  /** The connection string of the floors, on PostgreSQL: row-level security does not bind it. */
  bypassUrl?: string;
  /** 50 organisations of 10 members and 2,000 activities each. */
  regular: Org[];
  /** Organisations of 1 member and no activities, for spreading sockets. */
  quiet: Org[];
  /** One organisation each of 100, 100,000 and 300,000 activities. */
  small: Org;
  large: Org;
  huge: Org;
  /** 10 members and 20 pending invites; 10,000 members and 2,000 pending invites (membersDepth). */
  team: Roster;
  crowded: Roster;
  drop(): Promise<void>;
};

const silent = createLogger("silent");
const SIZES = { regular: 2_000, small: 100, large: 100_000, huge: 300_000 };

export async function prepareDataset({ quick }: { quick: boolean }): Promise<Dataset> {
  const adminUrl = process.env.DATABASE_URL;
  const sizes = quick ? { ...SIZES, huge: SIZES.large } : SIZES;
  if (adminUrl) return preparePostgres(adminUrl, sizes);
  return prepareEmbedded(sizes);
}

async function preparePostgres(adminUrl: string, sizes: typeof SIZES): Promise<Dataset> {
  const name = `saas_bench_${randomBytes(3).toString("hex")}`;
  const owner = "saas_bench_owner";
  const password = randomBytes(12).toString("hex");
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  // The API runs as an ordinary role that owns its database, as docs/deploy.md asks of production.
  await admin.query(`do $$ begin create role ${owner} login createrole; exception when duplicate_object then null; end $$`);
  await admin.query(`alter role ${owner} password '${password}'`);
  await admin.query(`create database ${name} owner ${owner}`);
  const url = new URL(adminUrl);
  url.username = owner;
  url.password = password;
  url.pathname = `/${name}`;
  const ownerUrl = url.toString();

  const database = await createDatabase(loadConfig({ DATABASE_URL: ownerUrl }).config, silent);
  const seeded = await seed(database, sizes);
  await database.close();
  // Floors read as a superuser when DATABASE_URL is one: no row-level security at all, the
  // barest read there is. Otherwise as the owner with the system policy open.
  const { rows } = await admin.query<{ superuser: boolean }>("select rolsuper as superuser from pg_roles where rolname = current_user");
  const bare = new URL(adminUrl);
  bare.pathname = `/${name}`;
  const floorUrl = rows[0]?.superuser ? bare.toString() : ownerUrl;
  return {
    driver: "pg",
    apiEnv: () => ({ DATABASE_URL: ownerUrl, DATABASE_POOL_SIZE: "10" }),
    floorEnv: () => ({ FLOOR_DATABASE_URL: floorUrl }),
    bypassUrl: floorUrl,
    ...seeded,
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

async function prepareEmbedded(sizes: typeof SIZES): Promise<Dataset> {
  const root = mkdtempSync(join(tmpdir(), "saas-bench-"));
  const seededDir = join(root, "seeded");
  const database = await createDatabase(loadConfig({ PGLITE_DATA_DIR: seededDir }).config, silent);
  const seeded = await seed(database, sizes);
  await database.close();
  let copies = 0;
  const copy = () => {
    const dir = join(root, `copy-${copies++}`);
    cpSync(seededDir, dir, { recursive: true });
    return dir;
  };
  return {
    driver: "pglite",
    apiEnv: () => ({ PGLITE_DATA_DIR: copy() }),
    floorEnv: () => ({ FLOOR_PGLITE_DIR: copy() }),
    ...seeded,
    drop: async () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Migrates, then writes organisations, members with live sessions, and their activity logs. */
async function seed(database: Database, sizes: typeof SIZES) {
  await runMigrations(database, silent);
  const makeOrg = async (label: string, memberCount: number, activityCount: number): Promise<Org> => {
    const org = await withSystem(database.db, async (tx) => {
      const [created] = await queryRows<{ id: string }>(
        tx,
        sql`insert into organisations (name, slug, subscription_plan, last_activity_id)
            values (${label}, ${`${label}-${randomBytes(4).toString("hex")}`}, 'ENTERPRISE', ${activityCount})
            returning id`,
      );
      const orgId = created?.id as string;
      const members: Member[] = [];
      for (let i = 0; i < memberCount; i++) {
        const role: Role = i === 0 ? "ADMIN" : "MEMBER";
        const email = `m${i}-${randomBytes(6).toString("hex")}@bench.example`;
        const [user] = await queryRows<{ id: string }>(
          tx,
          sql`insert into users (name, email, password_hash) values (${`Member ${i}`}, ${email}, ${PASSWORD_HASH}) returning id`,
        );
        const userId = user?.id as string;
        await tx.execute(sql`insert into memberships (organisation_id, user_id, role) values (${orgId}, ${userId}, ${role})`);
        const [session] = await queryRows<{ id: string }>(
          tx,
          sql`insert into sessions (user_id, organisation_id) values (${userId}, ${orgId}) returning id`,
        );
        const sessionId = session?.id as string;
        const token = signAccessToken({ userId, orgId, role, sessionId }, BENCH_SECRETS.JWT_ACCESS_SECRET, 4 * 3600);
        members.push({ userId, email, sessionId, role, token });
      }
      if (activityCount > 0) {
        // Broadcasts are the common case in a feed: 60 %, the rest spread over the other types.
        const others = ACTIVITY_TYPES.filter((type) => type !== "BROADCAST_MESSAGE");
        await tx.execute(sql`
          insert into activities (organisation_id, id, type, message, actor, target, metadata, created_at)
          select ${orgId}::uuid, g,
                 (case when g % 10 < 6 then 'BROADCAST_MESSAGE' else (${sql.raw(`array[${others.map((t) => `'${t}'`).join(",")}]`)})[1 + g % ${others.length}] end),
                 'Message number ' || g || ' of a realistic length for an activity feed entry',
                 ${JSON.stringify({ id: members[0]?.userId, name: "Member 0", email: "m0@bench.example" })}::jsonb,
                 null,
                 jsonb_build_object('message', 'Message number ' || g, 'sentBy', ${JSON.stringify({ id: members[0]?.userId, name: "Member 0", email: "m0@bench.example" })}::jsonb),
                 now() - make_interval(secs => ${activityCount} - g)
          from generate_series(1, ${activityCount}) g`);
      }
      return { id: orgId, activities: activityCount, members };
    });
    return org;
  };

  const regular: Org[] = [];
  for (let i = 0; i < 50; i++) regular.push(await makeOrg(`regular-${i}`, 10, sizes.regular));
  const quiet: Org[] = [];
  for (let i = 0; i < 50; i++) quiet.push(await makeOrg(`quiet-${i}`, 1, 0));
  const small = await makeOrg("small", 1, sizes.small);
  const large = await makeOrg("large", 1, sizes.large);
  const huge = await makeOrg("huge", 1, sizes.huge);

  /** An organisation of `memberCount` members and `inviteCount` pending invites, in bulk: only its ADMIN signs in. */
  const makeRoster = async (label: string, memberCount: number, inviteCount: number): Promise<Roster> => {
    const org = await makeOrg(label, 1, 0);
    const admin = org.members[0] as Member;
    return withSystem(database.db, async (tx) => {
      await tx.execute(sql`
        with people as (
          insert into users (name, email, password_hash)
          select 'Person ' || g, 'person-' || g || '-' || ${org.id} || '@bench.example', ${PASSWORD_HASH}
          from generate_series(1, ${memberCount - 1}) g returning id, name
        )
        insert into memberships (organisation_id, user_id, role, created_at)
        select ${org.id}::uuid, id, 'MEMBER', now() - make_interval(secs => ${memberCount} - substr(name, 8)::int) from people`);
      await tx.execute(sql`
        insert into invites (organisation_id, email, role, token_hash, invited_by, expires_at, created_at)
        select ${org.id}::uuid, 'invitee-' || g || '-' || ${org.id} || '@bench.example', 'MEMBER', 'bench-' || g || '-' || ${org.id},
               ${admin.userId}::uuid, now() + interval '7 days', now() - make_interval(secs => ${inviteCount} - g)
        from generate_series(1, ${inviteCount}) g`);
      const middleOf = async (table: "memberships" | "invites", id: "user_id" | "id", count: number) => {
        const [row] = await queryRows<{ at: string; id: string }>(
          tx,
          sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at, ${sql.raw(id)}::text as id
              from ${sql.raw(table)} where organisation_id = ${org.id} order by created_at, ${sql.raw(id)} offset ${count / 2 - 1} limit 1`,
        );
        return encodeTimeKey({ at: new Date(row?.at as string), id: row?.id as string });
      };
      return {
        admin,
        memberCount,
        inviteCount,
        membersMiddle: await middleOf("memberships", "user_id", memberCount),
        invitesMiddle: await middleOf("invites", "id", inviteCount),
      };
    });
  };
  const team = await makeRoster("team", 10, 20);
  const crowded = await makeRoster("crowded", 10_000, 2_000);
  await database.db.execute(sql`analyze`);
  return { regular, quiet, small, large, huge, team, crowded };
}

// At the production default cost, so the login storm spends what real logins spend.
const PASSWORD_HASH = await Bun.password.hash(BENCH_PASSWORD, { algorithm: "bcrypt", cost: 10 });
