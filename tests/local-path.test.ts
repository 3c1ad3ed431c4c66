// What a change tells its own instance at commit, proven with that instance's LISTEN connection
// stopped: no notification arrives, the caches stay trusted, so only the local half of each
// announcement (db/notify.ts) can make the next request right. Each test fails when the local
// half is removed.
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { and, eq, isNull } from "drizzle-orm";
import { sessions } from "../src/db/schema/index.ts";
import * as organisationsRoutes from "../src/modules/organisations/organisations.routes.ts";
import { createClient, parseWith } from "./support/client.ts";
import { inDatabase } from "./support/db-state.ts";
import { addMember, changePlan, registerOrg } from "./support/fixtures.ts";
import { startTestServer, type TestServer } from "./support/server.ts";

let server: TestServer;
let api: ReturnType<typeof createClient>;
beforeEach(async () => {
  server = await startTestServer();
  api = createClient(server.base);
});
afterEach(() => server.stop());

/** Stops the instance's LISTEN connection without telling its caches: they stay trusted, and hear nothing more from PostgreSQL. */
const stopListening = () => server.bus.stop();

const liveSessionsOf = (userId: string, organisationId: string) =>
  inDatabase((tx) =>
    tx
      .select({ id: sessions.id })
      .from(sessions)
      .where(and(eq(sessions.userId, userId), eq(sessions.organisationId, organisationId), isNull(sessions.revokedAt))),
  );

describe("with LISTEN stopped, a change made through this instance holds on its next request", () => {
  test("a removed member's next request is a 401, and their sessions in that organisation are revoked rows", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    // GET /api/organisations is answered from the caches alone: the session guard's and the organisation's.
    expect((await api.get("/api/organisations", { token: member.accessToken })).status).toBe(200);
    expect(await liveSessionsOf(member.user.id, admin.organisation.id)).toHaveLength(1);
    await stopListening();

    expect((await api.delete(`/api/users/${member.user.id}`, { token: admin.accessToken })).status).toBe(200);
    expect((await api.get("/api/organisations", { token: member.accessToken })).status).toBe(401);
    expect(await liveSessionsOf(member.user.id, admin.organisation.id)).toEqual([]);
  });

  test("a revoked session's next request is a 401", async () => {
    const admin = await registerOrg(api);
    expect((await api.get("/api/organisations", { token: admin.accessToken })).status).toBe(200);
    await stopListening();

    expect((await api.post("/api/auth/logout", { token: admin.accessToken, body: { refreshToken: admin.refreshToken } })).status).toBe(200);
    expect((await api.get("/api/organisations", { token: admin.accessToken })).status).toBe(401);
  });

  test("a plan change shows on the next read", async () => {
    const admin = await registerOrg(api);
    const read = async () =>
      parseWith(organisationsRoutes.getOrganisation, 200, await api.get("/api/organisations", { token: admin.accessToken })).data;
    expect((await read()).subscriptionPlan).toBe("FREE"); // cached
    await stopListening();

    await changePlan(api, admin, "PRO");
    expect((await read()).subscriptionPlan).toBe("PRO");
  });
});
