import { describe, expect, test } from "bun:test";
import * as routes from "../src/modules/organisations/organisations.routes.ts";
import { parseWith, refusalOf } from "./support/client.ts";
import { snapshotDatabase } from "./support/db-state.ts";
import { addMember, changePlan, invite, registerOrg } from "./support/fixtures.ts";
import { useTestServer } from "./support/server.ts";

const { api } = useTestServer();

const getOrganisation = async (token: string) =>
  parseWith(routes.getOrganisation, 200, await api.get("/api/organisations", { token })).data;

describe("GET /api/organisations", () => {
  test("describes the caller's organisation with its seats, for any role", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    await invite(api, admin);
    const organisation = await getOrganisation(member.accessToken);
    expect(organisation).toMatchObject({
      id: admin.organisation.id,
      name: admin.organisation.name,
      slug: admin.organisation.slug,
      subscriptionPlan: "FREE",
      memberCount: 2,
      memberLimit: 3,
      pendingInvites: 1,
    });
  });

  test("ENTERPRISE has no limit: memberLimit is null", async () => {
    const admin = await registerOrg(api);
    expect((await changePlan(api, admin, "ENTERPRISE")).memberLimit).toBeNull();
  });
});

describe("PATCH /api/organisations/subscription", () => {
  test("upgrades and downgrades", async () => {
    const admin = await registerOrg(api);
    expect(await changePlan(api, admin, "PRO")).toMatchObject({ subscriptionPlan: "PRO", memberLimit: 10 });
    expect(await changePlan(api, admin, "FREE")).toMatchObject({ subscriptionPlan: "FREE", memberLimit: 3 });
  });

  test("the same plan again is a 409", async () => {
    const admin = await registerOrg(api);
    const response = await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "FREE" } });
    expect(response.status).toBe(409);
  });

  test("a downgrade below members plus pending invites is refused and changes nothing", async () => {
    const admin = await registerOrg(api);
    await changePlan(api, admin, "PRO");
    await addMember(api, admin);
    await addMember(api, admin);
    await invite(api, admin); // 3 members + 1 pending invite > FREE's 3
    const before = await snapshotDatabase();
    const response = await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "FREE" } });
    expect(refusalOf(409, response).message).toMatch(/FREE plan allows 3/);
    expect((await getOrganisation(admin.accessToken)).subscriptionPlan).toBe("PRO");
    expect(await snapshotDatabase()).toEqual(before);
  });

  test("an unknown plan is a 422 naming the field", async () => {
    const admin = await registerOrg(api);
    const response = await api.patch("/api/organisations/subscription", { token: admin.accessToken, body: { plan: "PLATINUM" } });
    expect(refusalOf(422, response).errors?.[0]?.path).toBe("plan");
  });

  test("a MEMBER cannot change the plan", async () => {
    const admin = await registerOrg(api);
    const member = await addMember(api, admin);
    const response = await api.patch("/api/organisations/subscription", { token: member.accessToken, body: { plan: "PRO" } });
    expect(response.status).toBe(403);
  });
});

describe("POST /api/organisations/broadcast", () => {
  test("stores the message as an activity and returns it", async () => {
    const admin = await registerOrg(api);
    const response = await api.post("/api/organisations/broadcast", {
      token: admin.accessToken,
      body: { message: "  Ship it 🚀\nToday.  " },
    });
    const { data } = parseWith(routes.broadcast, 201, response);
    expect(data).toMatchObject({
      type: "BROADCAST_MESSAGE",
      message: "Ship it 🚀\nToday.",
      actor: { id: admin.user.id, name: admin.user.name, email: admin.email },
      metadata: { message: "Ship it 🚀\nToday.", sentBy: { id: admin.user.id } },
    });
  });

  test.each([
    ["empty", ""],
    ["only spaces", "   "],
    ["2001 characters", "x".repeat(2001)],
    ["a control character", "bell\u0007"],
    ["a NUL byte", "nul\u0000byte"],
  ])("a message that is %s is a 422", async (_, message) => {
    const admin = await registerOrg(api);
    const response = await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message } });
    expect(refusalOf(422, response).errors?.[0]?.path).toBe("message");
  });

  test("2000 characters is accepted", async () => {
    const admin = await registerOrg(api);
    const response = await api.post("/api/organisations/broadcast", { token: admin.accessToken, body: { message: "y".repeat(2000) } });
    expect(response.status).toBe(201);
  });
});
