import { createRoute, z } from "@hono/zod-openapi";
import { IdParam } from "../../lib/fields.ts";
import { envelopeOf, errorResponses, jsonBody, jsonContent } from "../../lib/response.ts";
import { checksCredentials, signedIn } from "../../middleware/auth.ts";
import {
  CodeBody,
  DisableBody,
  EmptyBody,
  PasskeyOptionsBody,
  PasskeySchema,
  PasskeysSchema,
  RecoveryCodesSchema,
  RegistrationBody,
  RenamePasskeyBody,
  SetupBody,
  TotpSetupSchema,
  WebAuthnOptionsSchema,
} from "./factors.schemas.ts";

const tags = ["Second factors"];
/** Setting a factor up is what a session narrowed by its organisation's requirement may still do. */
const settingUp = { anyOrganisation: true, whileSecondFactorMissing: true } as const;

export const totpSetup = createRoute({
  method: "post",
  path: "/api/auth/2fa/setup",
  operationId: "setUpTotp",
  tags,
  summary: "Start setting up an authenticator app: a secret and its otpauth:// URL (not in force until enabled)",
  ...signedIn(undefined, { ...settingUp, checksCredentials: true }),
  request: jsonBody(SetupBody),
  responses: {
    200: jsonContent(envelopeOf(TotpSetupSchema), "The secret, shown to this request only"),
    ...errorResponses(401, 409, 422),
  },
});

export const totpEnable = createRoute({
  method: "post",
  path: "/api/auth/2fa/enable",
  operationId: "enableTotp",
  tags,
  summary: "Turn two-factor codes on with a first code; returns 10 recovery codes, once",
  ...signedIn(undefined, { ...settingUp, checksCredentials: true }),
  request: jsonBody(CodeBody),
  responses: {
    200: jsonContent(envelopeOf(RecoveryCodesSchema), "On; the recovery codes are never shown again"),
    ...errorResponses(401, 409, 422),
  },
});

export const totpDisable = createRoute({
  method: "post",
  path: "/api/auth/2fa/disable",
  operationId: "disableTotp",
  tags,
  summary: "Turn two-factor codes off, with the password and a code or a recovery code",
  description: "Records TWO_FACTOR_DISABLED in each of the user's organisations and emails the user.",
  ...signedIn(undefined, { anyOrganisation: true, checksCredentials: true }),
  request: jsonBody(DisableBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Off"),
    ...errorResponses(401, 422),
  },
});

export const recoveryCodes = createRoute({
  method: "post",
  path: "/api/auth/2fa/recovery-codes",
  operationId: "regenerateRecoveryCodes",
  tags,
  summary: "A new set of 10 recovery codes, for a valid code; the old set stops working",
  ...signedIn(undefined, { anyOrganisation: true, checksCredentials: true }),
  request: jsonBody(CodeBody),
  responses: {
    200: jsonContent(envelopeOf(RecoveryCodesSchema), "The new set, shown once"),
    ...errorResponses(401, 422),
  },
});

export const passkeyRegistrationOptions = createRoute({
  method: "post",
  path: "/api/auth/passkeys/register/options",
  operationId: "passkeyRegistrationOptions",
  tags,
  summary: "Options for navigator.credentials.create(): register a passkey for the signed-in account",
  ...signedIn(undefined, settingUp),
  request: jsonBody(EmptyBody),
  responses: {
    200: jsonContent(envelopeOf(WebAuthnOptionsSchema), "PublicKeyCredentialCreationOptionsJSON; its challenge lives 5 minutes, once"),
    ...errorResponses(401, 422),
  },
});

export const passkeyRegister = createRoute({
  method: "post",
  path: "/api/auth/passkeys/register/verify",
  operationId: "registerPasskey",
  tags,
  summary: "Store the passkey the authenticator created (the credential's toJSON(), and an optional name)",
  ...signedIn(undefined, settingUp),
  request: jsonBody(RegistrationBody),
  responses: {
    201: jsonContent(envelopeOf(PasskeySchema), "Registered"),
    ...errorResponses(400, 401, 422),
  },
});

export const passkeyLoginOptions = createRoute({
  method: "post",
  path: "/api/auth/passkeys/login/options",
  operationId: "passkeyLoginOptions",
  tags,
  summary: "Options for navigator.credentials.get(): sign in with a passkey alone",
  ...checksCredentials(),
  request: jsonBody(PasskeyOptionsBody),
  responses: {
    200: jsonContent(envelopeOf(WebAuthnOptionsSchema), "PublicKeyCredentialRequestOptionsJSON; its challenge lives 5 minutes, once"),
    ...errorResponses(422),
  },
});

export const listPasskeys = createRoute({
  method: "get",
  path: "/api/auth/passkeys",
  operationId: "listPasskeys",
  tags,
  summary: "The account's passkeys: name, created, last used, flagged",
  ...signedIn(undefined, { anyOrganisation: true }),
  responses: {
    200: jsonContent(envelopeOf(PasskeysSchema), "Oldest first"),
    ...errorResponses(401),
  },
});

export const renamePasskey = createRoute({
  method: "patch",
  path: "/api/auth/passkeys/{id}",
  operationId: "renamePasskey",
  tags,
  summary: "Rename one of the account's passkeys",
  ...signedIn(undefined, { anyOrganisation: true }),
  request: { params: IdParam, ...jsonBody(RenamePasskeyBody) },
  responses: {
    200: jsonContent(envelopeOf(PasskeySchema), "Renamed"),
    ...errorResponses(401, 404, 422),
  },
});

export const deletePasskey = createRoute({
  method: "delete",
  path: "/api/auth/passkeys/{id}",
  operationId: "deletePasskey",
  tags,
  summary: "Remove one of the account's passkeys",
  ...signedIn(undefined, { anyOrganisation: true }),
  request: { params: IdParam },
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Removed"),
    ...errorResponses(401, 404),
  },
});
