import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { withSystem } from "../../src/db/tenant.ts";
import { grantPlatformRole } from "../../src/modules/admin/index.ts";
import * as authRoutes from "../../src/modules/auth/auth.routes.ts";
import * as factorRoutes from "../../src/modules/factors/factors.routes.ts";
import { currentCode } from "../../src/modules/factors/index.ts";
import * as usersRoutes from "../../src/modules/members/members.routes.ts";
import * as organisationsRoutes from "../../src/modules/organisations/organisations.routes.ts";
import { type Client, parseSignIn, parseWith } from "./client.ts";
import { testDatabase } from "./database.ts";

export const uniqueEmail = (label = "user") => `${label}-${randomUUID().slice(0, 8)}@example.com`;

export const PASSWORD = "correct-horse-battery";

export type Session = Awaited<ReturnType<typeof registerOrg>>;

/** A fresh organisation and its ADMIN, signed in. */
export async function registerOrg(client: Client, overrides: { name?: string; email?: string; organisationName?: string } = {}) {
  const input = {
    name: overrides.name ?? "Ada Admin",
    email: overrides.email ?? uniqueEmail("admin"),
    password: PASSWORD,
    organisationName: overrides.organisationName ?? `Org ${randomUUID().slice(0, 6)}`,
  };
  const { data } = parseWith(authRoutes.register, 201, await client.post("/api/auth/register", { body: input }));
  return { ...data, email: input.email, password: input.password };
}

export async function login(client: Client, email: string, password = PASSWORD, organisationId?: string) {
  const response = await client.post("/api/auth/login", { body: { email, password, organisationId } });
  return parseSignIn(authRoutes.login, 200, response).data;
}

export async function invite(
  client: Client,
  admin: { accessToken: string },
  email = uniqueEmail("invitee"),
  role: "ADMIN" | "MEMBER" = "MEMBER",
) {
  const response = await client.post("/api/users/invite", { token: admin.accessToken, body: { email, role } });
  return parseWith(usersRoutes.invite, 201, response).data;
}

export const acceptInvite = (client: Client, token: string, name = "New Member", password = PASSWORD) =>
  client.post("/api/users/accept-invite", { body: { token, name, password } });

/** A new member of `admin`'s organisation, signed in. */
export async function addMember(client: Client, admin: { accessToken: string }, role: "ADMIN" | "MEMBER" = "MEMBER") {
  const email = uniqueEmail(role.toLowerCase());
  const created = await invite(client, admin, email, role);
  const { data } = parseSignIn(usersRoutes.acceptInvite, 200, await acceptInvite(client, created.token, `Member ${email.slice(0, 10)}`));
  return { ...data, email, password: PASSWORD };
}

/** One user in two organisations: signed in to the first, which they made (ADMIN); a MEMBER of `other`, by invitation. */
export async function memberOfTwo(client: Client) {
  const member = await registerOrg(client);
  const other = await registerOrg(client);
  const sent = await invite(client, other, member.email);
  parseWith(
    usersRoutes.acceptInvite,
    200,
    await client.post("/api/users/accept-invite", { body: { token: sent.token, password: PASSWORD } }),
  );
  return { member, other };
}

export async function changePlan(client: Client, admin: { accessToken: string }, plan: "FREE" | "PRO" | "ENTERPRISE") {
  const response = await client.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan } });
  return parseWith(organisationsRoutes.changePlan, 200, response).data;
}

/**
 * A platform operator, granted as `bun run admin:grant` does, with TOTP, signed in through the
 * second step (what operator routes need); `passwordOnly` is the same operator's session from
 * registering, which they refuse.
 */
export async function operatorSession(client: Client) {
  const account = await registerOrg(client);
  await grantPlatformRole((await testDatabase()).database.db, account.email);
  const { secret } = parseWith(
    factorRoutes.totpSetup,
    200,
    await client.post("/api/auth/2fa/setup", { token: account.accessToken, body: { password: PASSWORD } }),
  ).data;
  await client.post("/api/auth/2fa/enable", { token: account.accessToken, body: { code: currentCode(secret, Date.now() - 30_000) } });
  const step = parseWith(
    authRoutes.login,
    200,
    await client.post("/api/auth/login", { body: { email: account.email, password: PASSWORD } }),
  ).data;
  if (!("mfaToken" in step)) throw new Error("an operator with TOTP must get a second step");
  const signedIn = parseWith(
    authRoutes.verifySecondStep,
    200,
    await client.post("/api/auth/2fa/verify", { body: { mfaToken: step.mfaToken, code: currentCode(secret) } }),
  ).data;
  return { accessToken: signedIn.accessToken, userId: account.user.id, passwordOnly: account.accessToken };
}

/** `count` activities straight into the organisation's log, created `daysAgo` days ago (fractions of a day too). */
export async function seedActivities(organisationId: string, count: number, daysAgo = 0) {
  await withSystem((await testDatabase()).database.db, async (tx) => {
    await tx.execute(sql`
      with counted as (
        update organisations set last_activity_id = last_activity_id + ${count} where id = ${organisationId}
        returning last_activity_id - ${count} as first
      )
      insert into activities (organisation_id, id, type, message, metadata, created_at, request_id)
      select ${organisationId}::uuid, counted.first + g, 'BROADCAST_MESSAGE', 'seeded message number ' || g,
             jsonb_build_object('message', 'seeded message number ' || g), now() - ${daysAgo} * interval '1 day', 'seed-' || g
      from counted, generate_series(1, ${count}) g`);
  });
  // As autovacuum would after a bulk load: the planner must know how big the log now is.
  await (await testDatabase()).database.db.execute(sql`analyze activities`);
}
