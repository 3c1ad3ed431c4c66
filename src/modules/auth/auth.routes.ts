import { createRoute, z } from "@hono/zod-openapi";
import { IdParam } from "../../lib/fields.ts";
import { envelopeOf, errorResponses, jsonBody, jsonContent } from "../../lib/response.ts";
import { SecondStepSchema, TokenPairSchema } from "../../lib/schemas.ts";
import { checksCredentials, signedIn } from "../../middleware/auth.ts";
import { AuthenticationBody, VerifyBody } from "../factors/index.ts";
import { SessionsSchema } from "../sessions/index.ts";
import {
  AuthResultSchema,
  LoginBody,
  LoginResultSchema,
  LogoutBody,
  MeSchema,
  RefreshTokenBody,
  RegisterBody,
  SwitchOrganisationBody,
} from "./auth.schemas.ts";

const tags = ["Auth"];

export const register = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/register",
  operationId: "register",
  tags,
  summary: "Create an organisation and its first member (ADMIN), signed in",
  description: [
    "An email that already has an account is a 409: a sign-up that signs in at once cannot hide it. The per-address credential budget",
    "keeps such probing slow.",
  ].join(" "),
  request: jsonBody(RegisterBody),
  responses: {
    201: jsonContent(envelopeOf(AuthResultSchema), "Registered and signed in"),
    ...errorResponses(409, 422),
  },
});

export const login = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/login",
  operationId: "login",
  tags,
  summary: "Sign in; `organisationId` picks the membership",
  request: jsonBody(LoginBody),
  responses: {
    200: jsonContent(
      envelopeOf(z.union([LoginResultSchema, SecondStepSchema])),
      "Signed in (to no organisation when the account belongs to none); or, for an account with a second factor, `mfaRequired` and no tokens yet",
    ),
    ...errorResponses(401, 403, 422),
  },
});

export const verifySecondStep = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/2fa/verify",
  operationId: "verifySecondStep",
  tags,
  summary: "The second step of a login: the mfaToken with an authenticator code or a recovery code",
  description: "Wrong codes spend the account's credential budget exactly as wrong passwords do.",
  request: jsonBody(VerifyBody),
  responses: {
    200: jsonContent(envelopeOf(LoginResultSchema), "Signed in"),
    ...errorResponses(401, 403, 422),
  },
});

export const passkeyLogin = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/passkeys/login/verify",
  operationId: "signInWithPasskey",
  tags,
  summary: "Sign in with a passkey alone (the credential's toJSON() for the login options' challenge)",
  description:
    "A passkey is phishing-resistant: it is the second factor too. A passkey whose counter went backwards is flagged and refused.",
  request: jsonBody(AuthenticationBody),
  responses: {
    200: jsonContent(envelopeOf(LoginResultSchema), "Signed in"),
    ...errorResponses(401, 403, 422),
  },
});

export const refresh = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/auth/refresh",
  operationId: "refreshTokens",
  tags,
  summary: "Rotate a refresh token: it dies and a new pair is returned",
  description: "Presenting a refresh token that was already used revokes its whole session.",
  request: jsonBody(RefreshTokenBody),
  responses: {
    200: jsonContent(envelopeOf(TokenPairSchema), "New token pair"),
    ...errorResponses(401, 422),
  },
});

export const logout = createRoute({
  method: "post",
  path: "/api/auth/logout",
  operationId: "logout",
  tags,
  summary: "Sign out: this session (`local`), every other one (`others`) or all (`global`)",
  description: [
    "The refresh token must be one of the caller's. Revoked sessions' access tokens are refused on their next request on every",
    "instance, and their sockets close with 4001.",
  ].join(" "),
  ...signedIn(undefined, { checksCredentials: true, anyOrganisation: true, whileSecondFactorMissing: true }),
  request: jsonBody(LogoutBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Signed out"),
    ...errorResponses(401, 422),
  },
});

export const me = createRoute({
  method: "get",
  path: "/api/auth/me",
  operationId: "getMe",
  tags,
  summary: "The caller, the active organisation and role, and every membership",
  ...signedIn(undefined, { anyOrganisation: true, whileSecondFactorMissing: true }),
  responses: {
    200: jsonContent(envelopeOf(MeSchema), "The caller"),
    ...errorResponses(401),
  },
});

export const switchOrganisation = createRoute({
  method: "post",
  path: "/api/auth/switch-organisation",
  operationId: "switchOrganisation",
  tags,
  summary: "Tokens for another organisation the caller belongs to",
  ...signedIn(undefined, { anyOrganisation: true }),
  request: jsonBody(SwitchOrganisationBody),
  responses: {
    200: jsonContent(envelopeOf(AuthResultSchema), "Signed in to the other organisation"),
    ...errorResponses(401, 403, 409, 422),
  },
});

export const listSessions = createRoute({
  method: "get",
  path: "/api/auth/sessions",
  operationId: "listSessions",
  tags,
  summary: "The caller's live sessions, in every organisation, with the current one marked",
  ...signedIn(undefined, { anyOrganisation: true }),
  responses: {
    200: jsonContent(envelopeOf(SessionsSchema), "Live sessions, most recently used first"),
    ...errorResponses(401),
  },
});

export const endSession = createRoute({
  method: "delete",
  path: "/api/auth/sessions/{id}",
  operationId: "endSession",
  tags,
  summary: "End one of the caller's sessions (a lost laptop); another user's is a 404",
  description: "Its access tokens are refused on their next request on every instance, and its sockets close with 4001.",
  ...signedIn(undefined, { anyOrganisation: true }),
  request: { params: IdParam },
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Session ended"),
    ...errorResponses(401, 404),
  },
});
