import type { AppRouteHandler } from "../../app-env.ts";
import { ok } from "../../lib/response.ts";
import type * as routes from "./account.routes.ts";

export const changePassword: AppRouteHandler<typeof routes.changePassword> = async (c) => {
  await c.get("services").account.changePassword(c.get("account"), c.req.valid("json"));
  return c.json(ok("Password changed; your other sessions are signed out", null), 200);
};

export const forgotPassword: AppRouteHandler<typeof routes.forgotPassword> = async (c) => {
  await c.get("services").passwordReset.forgotPassword(c.req.valid("json").email);
  return c.json(ok("If that email has an account, a reset link is on its way", null), 202);
};

export const resetPassword: AppRouteHandler<typeof routes.resetPassword> = async (c) => {
  await c.get("services").passwordReset.resetPassword(c.req.valid("json"));
  return c.json(ok("Password reset; sign in with the new one", null), 200);
};

export const deleteAccount: AppRouteHandler<typeof routes.deleteAccount> = async (c) => {
  await c.get("services").account.deleteAccount(c.get("account"), c.req.valid("json").password);
  return c.json(ok("Account deleted", null), 200);
};

export const verifyEmail: AppRouteHandler<typeof routes.verifyEmail> = async (c) => {
  await c.get("services").emailVerification.verify(c.req.valid("json").token);
  return c.json(ok("Email verified", null), 200);
};

export const resendVerification: AppRouteHandler<typeof routes.resendVerification> = async (c) => {
  await c.get("services").emailVerification.resend(c.get("account"));
  return c.json(ok("A verification link is on its way", null), 202);
};
