// Email verification, in both modes. `optional` (the default) sends the link and shows the state
// but gates nothing, so register-then-invite keeps working for existing clients; `required`
// keeps an unverified account from inviting others or changing the plan.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { queryRows } from "../src/db/sql.ts";
import * as authRoutes from "../src/modules/auth/auth.routes.ts";
import * as membersRoutes from "../src/modules/members/members.routes.ts";
import { type Client, createClient, parseSignIn, parseWith, refusalOf } from "./support/client.ts";
import { inDatabase } from "./support/db-state.ts";
import { acceptInvite, invite, registerOrg, type Session, uniqueEmail } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

const servers: Record<"optional" | "required", { server: TestServer; api: Client }> = {} as never;
beforeAll(async () => {
  for (const mode of ["optional", "required"] as const) {
    const server = await startTestServer({ EMAIL_VERIFICATION: mode });
    servers[mode] = { server, api: createClient(server.base) };
  }
});
afterAll(() => Promise.all(Object.values(servers).map(({ server }) => server.stop())));

/**
 * The token of the newest verification link mailed to `email`. Both servers share one database
 * and each runs a sender, so the mail is in whichever development mailbox took it.
 */
async function verificationToken(_server: TestServer, email: string) {
  const mailboxes = Object.values(servers).map(({ server }) => server);
  await Promise.all(mailboxes.map((server) => server.mail.sender?.flush()));
  const body =
    mailboxes
      .flatMap((server) => server.mail.mailbox?.messages() ?? [])
      .find((mail) => mail.to === email && mail.body.includes("/verify-email"))?.body ?? "";
  const token = /\/verify-email\?token=(\S+)/.exec(body)?.[1];
  if (!token) throw new Error(`no verification link mailed to ${email}`);
  return decodeURIComponent(token);
}

const verified = async (api: Client, session: Session) =>
  parseWith(authRoutes.me, 200, await api.get("/api/auth/me", { token: session.accessToken })).data.emailVerified;
const tryInvite = (api: Client, admin: Session) =>
  api.post("/api/users/invite", { token: admin.accessToken, body: { email: uniqueEmail("guest"), role: "MEMBER" } });
const tryPlan = (api: Client, admin: Session) =>
  api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "PRO" } });

describe.each(["optional", "required"] as const)("EMAIL_VERIFICATION=%s", (mode) => {
  test("a sign-up is emailed a single-use link; me says whether the address is verified", async () => {
    const { server, api } = servers[mode];
    const admin = await registerOrg(api);
    expect(await verified(api, admin)).toBe(false);
    const token = await verificationToken(server, admin.email);
    expect((await api.post("/api/auth/verify-email", { body: { token } })).status).toBe(200);
    expect(await verified(api, admin)).toBe(true);
    refusalOf(400, await api.post("/api/auth/verify-email", { body: { token } }), "VERIFICATION_LINK_INVALID");
    // Only its HMAC is stored.
    const [row] = await inDatabase((tx) =>
      queryRows<{ n: number }>(tx, sql`select count(*)::int as n from email_verifications where token_hash = ${token}`),
    );
    expect(row?.n).toBe(0);
  });

  test(
    mode === "optional"
      ? "an unverified account invites and changes the plan"
      : "an unverified account may not invite or change the plan, until it verifies",
    async () => {
      const { server, api } = servers[mode];
      const admin = await registerOrg(api);
      if (mode === "optional") {
        expect((await tryInvite(api, admin)).status).toBe(201);
        expect((await tryPlan(api, admin)).status).toBe(200);
        return;
      }
      refusalOf(403, await tryInvite(api, admin), "EMAIL_NOT_VERIFIED");
      refusalOf(403, await tryPlan(api, admin), "EMAIL_NOT_VERIFIED");
      // Everything else works unverified.
      expect((await api.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
      expect((await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: "hi" } })).status).toBe(201);
      expect((await api.post("/api/auth/verify-email", { body: { token: await verificationToken(server, admin.email) } })).status).toBe(
        200,
      );
      expect((await tryInvite(api, admin)).status).toBe(201);
      expect((await tryPlan(api, admin)).status).toBe(200);
    },
  );

  test("accepting an invitation by its emailed link verifies that address", async () => {
    const { api } = servers[mode];
    const host = await registerOrg(servers.optional.api); // an optional-mode host can invite at once
    const sent = await invite(servers.optional.api, host, uniqueEmail("joiner"), "ADMIN");
    const joined = parseSignIn(membersRoutes.acceptInvite, 200, await acceptInvite(api, sent.token)).data;
    expect(await verified(api, { ...joined, email: joined.user.email, password: "" })).toBe(true);
  });

  test("resend: another link, then 409 once verified", async () => {
    const { server, api } = servers[mode];
    const admin = await registerOrg(api);
    expect((await api.post("/api/auth/verify-email/resend", { token: admin.accessToken })).status).toBe(202);
    expect((await api.post("/api/auth/verify-email", { body: { token: await verificationToken(server, admin.email) } })).status).toBe(200);
    refusalOf(409, await api.post("/api/auth/verify-email/resend", { token: admin.accessToken }), "CONFLICT");
  });

  test("an expired link is a 410 and verifies nothing", async () => {
    const { server, api } = servers[mode];
    const admin = await registerOrg(api);
    const token = await verificationToken(server, admin.email);
    await inDatabase((tx) =>
      tx.execute(sql`update email_verifications set expires_at = now() - interval '1 minute' where used_at is null`),
    );
    refusalOf(410, await api.post("/api/auth/verify-email", { body: { token } }), "VERIFICATION_LINK_EXPIRED");
    expect(await verified(api, admin)).toBe(false);
  });
});
