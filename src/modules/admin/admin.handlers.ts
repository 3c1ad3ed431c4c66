import type { AppRouteHandler } from "../../app-env.ts";
import { ok, okList } from "../../lib/response.ts";
import type * as routes from "./admin.routes.ts";

export const searchOrganisations: AppRouteHandler<typeof routes.searchOrganisations> = async (c) => {
  const page = await c.get("services").admin.searchOrganisations(c.get("operator"), c.req.valid("query"));
  return c.json(okList("Organisations", page.items, page.nextCursor), 200);
};

export const showOrganisation: AppRouteHandler<typeof routes.showOrganisation> = async (c) =>
  c.json(ok("Organisation", await c.get("services").admin.showOrganisation(c.get("operator"), c.req.valid("param").id)), 200);

export const suspendOrganisation: AppRouteHandler<typeof routes.suspendOrganisation> = async (c) => {
  await c.get("services").admin.suspend(c.get("operator"), c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Organisation suspended", null), 200);
};

export const unsuspendOrganisation: AppRouteHandler<typeof routes.unsuspendOrganisation> = async (c) => {
  await c.get("services").admin.unsuspend(c.get("operator"), c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Suspension lifted", null), 200);
};

export const compPlan: AppRouteHandler<typeof routes.compPlan> = async (c) =>
  c.json(ok("Plan set", await c.get("services").admin.setPlan(c.get("operator"), c.req.valid("param").id, c.req.valid("json"))), 200);

export const deleteOrganisation: AppRouteHandler<typeof routes.deleteOrganisation> = async (c) => {
  await c.get("services").admin.deleteOrganisation(c.get("operator"), c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Organisation deleted", null), 200);
};

export const exportOrganisation: AppRouteHandler<typeof routes.exportOrganisation> = async (c) => {
  const body = await c.get("services").admin.exportOrganisation(c.get("operator"), c.req.valid("param").id);
  return c.body(body.pipeThrough(new TextEncoderStream()), 200, { "content-type": "application/x-ndjson; charset=utf-8" }) as never;
};

export const searchUsers: AppRouteHandler<typeof routes.searchUsers> = async (c) =>
  c.json(ok("Users", await c.get("services").admin.searchUsers(c.get("operator"), c.req.valid("query").email)), 200);

export const showUser: AppRouteHandler<typeof routes.showUser> = async (c) =>
  c.json(ok("User", await c.get("services").admin.showUser(c.get("operator"), c.req.valid("param").id)), 200);

export const revokeUserSessions: AppRouteHandler<typeof routes.revokeUserSessions> = async (c) => {
  await c.get("services").admin.revokeSessions(c.get("operator"), c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Every session of the user ended", null), 200);
};

export const disableUser: AppRouteHandler<typeof routes.disableUser> = async (c) => {
  await c.get("services").admin.disableUser(c.get("operator"), c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("User disabled", null), 200);
};

export const enableUser: AppRouteHandler<typeof routes.enableUser> = async (c) => {
  await c.get("services").admin.enableUser(c.get("operator"), c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("User enabled", null), 200);
};
