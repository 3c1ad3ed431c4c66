import type { AppRouteHandler } from "../../app-env.ts";
import { ok, okList } from "../../lib/response.ts";
import type * as routes from "./admin.routes.ts";

export const searchOrganisations: AppRouteHandler<typeof routes.searchOrganisations> = async (c) => {
  const page = await c.var.services.admin.searchOrganisations(c.var.operator, c.req.valid("query"));
  return c.json(okList("Organisations", page.items, page.nextCursor), 200);
};

export const showOrganisation: AppRouteHandler<typeof routes.showOrganisation> = async (c) =>
  c.json(ok("Organisation", await c.var.services.admin.showOrganisation(c.var.operator, c.req.valid("param").id)), 200);

export const suspendOrganisation: AppRouteHandler<typeof routes.suspendOrganisation> = async (c) => {
  await c.var.services.admin.suspend(c.var.operator, c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Organisation suspended", null), 200);
};

export const unsuspendOrganisation: AppRouteHandler<typeof routes.unsuspendOrganisation> = async (c) => {
  await c.var.services.admin.unsuspend(c.var.operator, c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Suspension lifted", null), 200);
};

export const compPlan: AppRouteHandler<typeof routes.compPlan> = async (c) =>
  c.json(ok("Plan set", await c.var.services.admin.setPlan(c.var.operator, c.req.valid("param").id, c.req.valid("json"))), 200);

export const deleteOrganisation: AppRouteHandler<typeof routes.deleteOrganisation> = async (c) => {
  await c.var.services.admin.deleteOrganisation(c.var.operator, c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Organisation deleted", null), 200);
};

export const exportOrganisation: AppRouteHandler<typeof routes.exportOrganisation> = async (c) => {
  const body = await c.var.services.admin.exportOrganisation(c.var.operator, c.req.valid("param").id);
  return c.body(body.pipeThrough(new TextEncoderStream()), 200, { "content-type": "application/x-ndjson; charset=utf-8" }) as never;
};

export const searchUsers: AppRouteHandler<typeof routes.searchUsers> = async (c) =>
  c.json(ok("Users", await c.var.services.admin.searchUsers(c.var.operator, c.req.valid("query").email)), 200);

export const showUser: AppRouteHandler<typeof routes.showUser> = async (c) =>
  c.json(ok("User", await c.var.services.admin.showUser(c.var.operator, c.req.valid("param").id)), 200);

export const revokeUserSessions: AppRouteHandler<typeof routes.revokeUserSessions> = async (c) => {
  await c.var.services.admin.revokeSessions(c.var.operator, c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("Every session of the user ended", null), 200);
};

export const disableUser: AppRouteHandler<typeof routes.disableUser> = async (c) => {
  await c.var.services.admin.disableUser(c.var.operator, c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("User disabled", null), 200);
};

export const enableUser: AppRouteHandler<typeof routes.enableUser> = async (c) => {
  await c.var.services.admin.enableUser(c.var.operator, c.req.valid("param").id, c.req.valid("json").reason);
  return c.json(ok("User enabled", null), 200);
};
