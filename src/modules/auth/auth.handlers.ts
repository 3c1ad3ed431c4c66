import type { AppRouteHandler } from "../../app-env.ts";
import { ok } from "../../lib/response.ts";
import type * as routes from "./auth.routes.ts";

export const register: AppRouteHandler<typeof routes.register> = async (c) => {
  const result = await c.var.services.auth.register(c.req.valid("json"));
  return c.json(ok("Registered", result), 201);
};

export const login: AppRouteHandler<typeof routes.login> = async (c) => {
  const result = await c.var.services.auth.login(c.req.valid("json"));
  return c.json(ok("Logged in", result), 200);
};

export const refresh: AppRouteHandler<typeof routes.refresh> = async (c) => {
  const tokens = await c.var.services.auth.refresh(c.req.valid("json").refreshToken);
  return c.json(ok("Tokens refreshed", tokens), 200);
};

export const logout: AppRouteHandler<typeof routes.logout> = async (c) => {
  await c.var.services.auth.logout(c.var.auth, c.req.valid("json").refreshToken);
  return c.json(ok("Logged out", null), 200);
};

export const me: AppRouteHandler<typeof routes.me> = async (c) => {
  const me = await c.var.services.auth.me(c.var.auth);
  return c.json(ok("Current user", me), 200);
};

export const switchOrganisation: AppRouteHandler<typeof routes.switchOrganisation> = async (c) => {
  const result = await c.var.services.auth.switchOrganisation(c.var.auth, c.req.valid("json").organisationId);
  return c.json(ok("Switched organisation", result), 200);
};
