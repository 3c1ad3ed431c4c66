import { createRoute, z } from "@hono/zod-openapi";
import { envelopeOf, errorResponses, jsonBody, jsonContent } from "../../lib/response.ts";
import { checksCredentials, signedIn } from "../../middleware/auth.ts";
import { ChangePasswordBody, DeleteAccountBody, ForgotPasswordBody, ResetPasswordBody, VerifyEmailBody } from "./account.schemas.ts";

const tags = ["Account"];

export const changePassword = createRoute({
  method: "post",
  path: "/api/auth/change-password",
  operationId: "changePassword",
  tags,
  summary: "Change the password (the current one required); every other session is signed out",
  description:
    "This session stays signed in; every other session of the account, in every organisation, is revoked and its sockets close with 4001.",
  ...signedIn(undefined, { checksCredentials: true, anyOrganisation: true }),
  request: jsonBody(ChangePasswordBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Password changed"),
    ...errorResponses(401, 422),
  },
});

export const forgotPassword = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/forgot-password",
  operationId: "forgotPassword",
  tags,
  summary: "Email a password-reset link; always 202",
  description: [
    "Answers 202 once the request is safely queued, with the same answer and the same work whether or not the email has an account",
    "(the account is looked up when the mail is sent). The link is single use and expires after PASSWORD_RESET_EXPIRES_IN;",
    "a few requests an hour per email at most.",
  ].join(" "),
  request: jsonBody(ForgotPasswordBody),
  responses: {
    202: jsonContent(envelopeOf(z.null()), "If the email has an account, a link is on its way"),
    ...errorResponses(422),
  },
});

export const resetPassword = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/reset-password",
  operationId: "resetPassword",
  tags,
  summary: "Set a new password with a reset token; every session is signed out",
  description: "A used or unknown token is a 400, an expired one a 410. Every session of the account is revoked on every instance.",
  request: jsonBody(ResetPasswordBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Password reset"),
    ...errorResponses(410, 422),
  },
});

export const deleteAccount = createRoute({
  method: "delete",
  path: "/api/auth/me",
  operationId: "deleteAccount",
  tags,
  summary: "Delete the caller's account (password required)",
  description: [
    "Refused (409, naming them) while the caller is the last ADMIN of any organisation. Each organisation's feed records that they",
    "left; its entries keep their name.",
  ].join(" "),
  ...signedIn(undefined, { checksCredentials: true, anyOrganisation: true }),
  request: jsonBody(DeleteAccountBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Account deleted"),
    ...errorResponses(401, 409, 422),
  },
});

export const verifyEmail = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/verify-email",
  operationId: "verifyEmail",
  tags,
  summary: "Confirm an email address with the token from its verification link",
  description: "Single use; expires after EMAIL_VERIFICATION_EXPIRES_IN. A used or unknown token is a 400, an expired one a 410.",
  request: jsonBody(VerifyEmailBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Email verified"),
    ...errorResponses(410, 422),
  },
});

export const resendVerification = createRoute({
  method: "post",
  path: "/api/auth/verify-email/resend",
  operationId: "resendVerificationEmail",
  tags,
  summary: "Send another verification link to the caller's address (a few an hour at most)",
  description: "409 once the address is verified. With EMAIL_VERIFICATION=required, inviting and changing the plan wait for it.",
  ...signedIn(undefined, { anyOrganisation: true }),
  responses: {
    202: jsonContent(envelopeOf(z.null()), "A link is on its way"),
    ...errorResponses(401, 409),
  },
});
