import type { AppRouteHandler } from "../../app-env.ts";
import { ok } from "../../lib/response.ts";
import { originOf } from "../../middleware/client-ip.ts";
import type * as routes from "./organisations.routes.ts";

export const getOrganisation: AppRouteHandler<typeof routes.getOrganisation> = async (c) => {
  const organisation = await c.get("services").organisations.get(c.get("auth"));
  return c.json(ok("Organisation", organisation), 200);
};

export const changePlan: AppRouteHandler<typeof routes.changePlan> = async (c) => {
  const organisation = await c.get("services").organisations.changePlan(c.get("auth"), c.req.valid("json").plan);
  return c.json(ok(`Plan changed to ${organisation.subscriptionPlan}`, organisation), 200);
};

export const broadcast: AppRouteHandler<typeof routes.broadcast> = async (c) => {
  const activity = await c.get("services").organisations.broadcast(c.get("auth"), c.req.valid("json").message);
  return c.json(ok("Message broadcast", activity), 201);
};

export const rename: AppRouteHandler<typeof routes.rename> = async (c) => {
  const organisation = await c.get("services").organisations.rename(c.get("auth"), c.req.valid("json").name);
  return c.json(ok("Organisation renamed", organisation), 200);
};

export const leave: AppRouteHandler<typeof routes.leave> = async (c) => {
  await c.get("services").members.leave(c.get("auth"));
  return c.json(ok("You have left the organisation", null), 200);
};

export const deleteOrganisation: AppRouteHandler<typeof routes.deleteOrganisation> = async (c) => {
  await c.get("services").organisations.delete(c.get("auth"), c.req.valid("json").confirmName);
  return c.json(ok("Organisation deleted", null), 200);
};

export const createOrganisation: AppRouteHandler<typeof routes.createOrganisation> = async (c) => {
  const result = await c.get("services").organisations.create(c.get("account"), c.req.valid("json").name, originOf(c));
  return c.json(ok("Organisation created", result), 201);
};

export const changeSecurity: AppRouteHandler<typeof routes.changeSecurity> = async (c) => {
  const settings = await c.get("services").organisations.changeSecurity(c.get("auth"), c.req.valid("json").requireTwoFactor);
  return c.json(ok("Security settings saved", settings), 200);
};

export const dataExport: AppRouteHandler<typeof routes.dataExport> = async (c) => {
  const body = await c.get("services").organisationExport.stream(c.get("auth").orgId);
  return c.body(body.pipeThrough(new TextEncoderStream()), 200, {
    "content-type": "application/x-ndjson; charset=utf-8",
    "content-disposition": 'attachment; filename="organisation-export.ndjson"',
  }) as never;
};
