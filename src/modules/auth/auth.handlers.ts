import type { AuthenticationResponseJSON } from "@simplewebauthn/server";
import type { AppRouteHandler } from "../../app-env.ts";
import { ok } from "../../lib/response.ts";
import { originOf } from "../../middleware/client-ip.ts";
import type * as routes from "./auth.routes.ts";

export const register: AppRouteHandler<typeof routes.register> = async (c) => {
  const result = await c.get("services").auth.register(c.req.valid("json"), originOf(c));
  return c.json(ok("Registered", result), 201);
};

export const login: AppRouteHandler<typeof routes.login> = async (c) => {
  const result = await c.get("services").auth.login(c.req.valid("json"), originOf(c));
  return c.json(ok("mfaRequired" in result ? "Password accepted: send a code to /api/auth/2fa/verify" : "Logged in", result), 200);
};

export const refresh: AppRouteHandler<typeof routes.refresh> = async (c) => {
  const tokens = await c.get("services").auth.refresh(c.req.valid("json").refreshToken);
  return c.json(ok("Tokens refreshed", tokens), 200);
};

export const logout: AppRouteHandler<typeof routes.logout> = async (c) => {
  const body = c.req.valid("json");
  await c.get("services").auth.logout(c.get("account"), body);
  return c.json(ok(body.scope === "local" ? "Logged out" : `Logged out (${body.scope})`, null), 200);
};

export const me: AppRouteHandler<typeof routes.me> = async (c) => {
  const me = await c.get("services").auth.me(c.get("account"));
  return c.json(ok("Current user", me), 200);
};

export const switchOrganisation: AppRouteHandler<typeof routes.switchOrganisation> = async (c) => {
  const result = await c.get("services").auth.switchOrganisation(c.get("account"), c.req.valid("json").organisationId, originOf(c));
  return c.json(ok("Switched organisation", result), 200);
};

export const listSessions: AppRouteHandler<typeof routes.listSessions> = async (c) => {
  const sessions = await c.get("services").auth.listSessions(c.get("account"));
  return c.json(ok("Sessions", { sessions }), 200);
};

export const endSession: AppRouteHandler<typeof routes.endSession> = async (c) => {
  await c.get("services").auth.endSession(c.get("account"), c.req.valid("param").id);
  return c.json(ok("Session ended", null), 200);
};

export const verifySecondStep: AppRouteHandler<typeof routes.verifySecondStep> = async (c) =>
  c.json(ok("Signed in", await c.get("services").auth.verifySecondStep(c.req.valid("json"), originOf(c))), 200);

export const passkeyLogin: AppRouteHandler<typeof routes.passkeyLogin> = async (c) => {
  const { organisationId, ...credential } = c.req.valid("json");
  const result = await c.get("services").auth.loginWithPasskey(credential as AuthenticationResponseJSON, organisationId, originOf(c));
  return c.json(ok("Signed in with a passkey", result), 200);
};
