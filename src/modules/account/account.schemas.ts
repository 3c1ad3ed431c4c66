import { z } from "@hono/zod-openapi";
import { emailField, newPasswordField, opaqueTokenField, passwordField } from "../../lib/fields.ts";

export const ChangePasswordBody = z
  .strictObject({ currentPassword: passwordField, newPassword: newPasswordField })
  .openapi("ChangePasswordBody");

export const ForgotPasswordBody = z.strictObject({ email: emailField }).openapi("ForgotPasswordBody");

export const ResetPasswordBody = z.strictObject({ token: opaqueTokenField, newPassword: newPasswordField }).openapi("ResetPasswordBody");

export const VerifyEmailBody = z.strictObject({ token: opaqueTokenField }).openapi("VerifyEmailBody");

export const DeleteAccountBody = z.strictObject({ password: passwordField }).openapi("DeleteAccountBody");

export type ChangePasswordInput = z.infer<typeof ChangePasswordBody>;
export type ResetPasswordInput = z.infer<typeof ResetPasswordBody>;
