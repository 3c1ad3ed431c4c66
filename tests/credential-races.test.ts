// A credential checked, then a session opened: what changes in between must win. Each race is
// forced, not hoped for: the sign-in's password check is held open while the change commits.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { sessions } from "../src/db/schema/index.ts";
import { createPasswordHasher, type PasswordHasher } from "../src/lib/passwords.ts";
import { type Client, createClient, refusalOf } from "./support/client.ts";
import { inDatabase } from "./support/db-state.ts";
import { addMember, invite, PASSWORD, registerOrg } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

/** bcrypt, but the next verification that is armed waits, after deciding, until released. */
function holdingHasher() {
  const real = createPasswordHasher(4);
  let armed: { held: Promise<void>; release(): void; reached(): void; reachedAt: Promise<void> } | undefined;
  const hasher: PasswordHasher = {
    hash: real.hash,
    verifyNobody: real.verifyNobody,
    async verify(password, hash) {
      const verdict = await real.verify(password, hash);
      const gate = armed;
      armed = undefined;
      if (gate) {
        gate.reached();
        await gate.held;
      }
      return verdict;
    },
  };
  /** Holds the next verification once it has decided; resolves `reached` when it gets there. */
  const arm = () => {
    let release = () => {};
    let reached = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const reachedAt = new Promise<void>((resolve) => (reached = resolve));
    armed = { held, release, reached, reachedAt };
    return { reached: reachedAt, release };
  };
  return { hasher, arm };
}

let server: TestServer;
let api: Client;
const gate = holdingHasher();
beforeAll(async () => {
  server = await startTestServer({}, undefined, { passwords: gate.hasher });
  api = createClient(server.base);
});
afterAll(() => server.stop());

const login = (email: string, password = PASSWORD, organisationId?: string) =>
  api.post("/api/auth/login", { body: { email, password, organisationId } });

/** Runs `sign-in` up to its verified password, then `change`, then lets the sign-in finish. */
async function signInAcross(signIn: () => Promise<{ status: number; body: unknown; headers: Headers }>, change: () => Promise<unknown>) {
  const { reached, release } = gate.arm();
  const inFlight = signIn();
  await reached;
  await change();
  release();
  return inFlight;
}

const liveSessions = (userId: string) =>
  inDatabase(async (tx) =>
    (await tx.select({ revokedAt: sessions.revokedAt }).from(sessions).where(eq(sessions.userId, userId))).filter((s) => !s.revokedAt),
  );

describe("a sign-in in flight does not outlive the change that should end it", () => {
  test("change-password: a login with the old password, verified before the change committed, opens no session", async () => {
    const admin = await registerOrg(api);
    const answer = await signInAcross(
      () => login(admin.email),
      async () => {
        const changed = await api.post("/api/auth/change-password", {
          token: admin.accessToken,
          body: { currentPassword: PASSWORD, newPassword: "a-brand-new-password" },
        });
        expect(changed.status).toBe(200);
      },
    );
    refusalOf(401, answer, "INVALID_CREDENTIALS");
    expect(await liveSessions(admin.user.id)).toHaveLength(1); // the session that changed it, and no other
  });

  test("reset-password: the same", async () => {
    const admin = await registerOrg(api);
    expect((await api.post("/api/auth/forgot-password", { body: { email: admin.email } })).status).toBe(202);
    await server.mail.sender?.flush();
    const link = server.mail.mailbox?.messages().find((mail) => mail.to === admin.email)?.body ?? "";
    const token = decodeURIComponent(/reset-password\?token=(\S+)/.exec(link)?.[1] ?? "");
    const answer = await signInAcross(
      () => login(admin.email),
      async () =>
        expect((await api.post("/api/auth/reset-password", { body: { token, newPassword: "a-brand-new-password" } })).status).toBe(200),
    );
    refusalOf(401, answer, "INVALID_CREDENTIALS");
    expect(await liveSessions(admin.user.id)).toHaveLength(0);
  });

  test("accept-invite into an existing account: the same rule, not a copy", async () => {
    const joiner = await registerOrg(api);
    const other = await registerOrg(api);
    const sent = await invite(api, other, joiner.email);
    const answer = await signInAcross(
      () => api.post("/api/users/accept-invite", { body: { token: sent.token, password: PASSWORD } }),
      async () => {
        const changed = await api.post("/api/auth/change-password", {
          token: joiner.accessToken,
          body: { currentPassword: PASSWORD, newPassword: "a-brand-new-password" },
        });
        expect(changed.status).toBe(200);
      },
    );
    refusalOf(401, answer, "INVALID_CREDENTIALS");
  });

  test("a login racing the deletion of its account is a 401, not a 500", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const answer = await signInAcross(
      () => login(member.email),
      async () => expect((await api.delete("/api/auth/me", { token: member.accessToken, body: { password: PASSWORD } })).status).toBe(200),
    );
    refusalOf(401, answer);
  });

  test("a login racing the deletion of its organisation is a 401, not a 500", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const answer = await signInAcross(
      () => login(member.email, PASSWORD, admin.organisation.id),
      async () =>
        expect(
          (await api.delete("/api/organisations", { token: admin.accessToken, body: { confirmName: admin.organisation.name } })).status,
        ).toBe(200),
    );
    refusalOf(401, answer);
  });
});
