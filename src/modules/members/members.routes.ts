import { createRoute, z } from "@hono/zod-openapi";
import { IdParam } from "../../lib/fields.ts";
import { envelopeOf, errorResponses, jsonBody, jsonContent, listEnvelopeOf } from "../../lib/response.ts";
import { AuthResultSchema, PageQuery, SecondStepSchema } from "../../lib/schemas.ts";
import { checksCredentials, signedIn } from "../../middleware/auth.ts";
import { AcceptInviteBody, ChangeRoleBody, CreatedInviteSchema, InviteBody, InviteSchema, MemberSchema } from "./members.schemas.ts";

const tags = ["Members"];

export const listMembers = createRoute({
  method: "get",
  path: "/api/users",
  operationId: "listMembers",
  tags,
  summary: "Members of the organisation, in the order they joined (ADMIN)",
  ...signedIn("ADMIN"),
  request: { query: PageQuery },
  responses: {
    200: jsonContent(listEnvelopeOf(MemberSchema), "A page of members"),
    ...errorResponses(401, 403),
  },
});

export const invite = createRoute({
  method: "post",
  path: "/api/users/invite",
  operationId: "inviteMember",
  tags,
  summary: "Invite someone by email (ADMIN); returns the invite token once",
  description: "Single use; expires after INVITE_EXPIRES_IN. Members plus pending invites never exceed the plan's limit (403).",
  ...signedIn("ADMIN", { verifiedEmail: true }),
  request: jsonBody(InviteBody),
  responses: {
    201: jsonContent(envelopeOf(CreatedInviteSchema), "Invite created"),
    ...errorResponses(401, 403, 409, 422),
  },
});

export const listInvites = createRoute({
  method: "get",
  path: "/api/users/invites",
  operationId: "listInvites",
  tags,
  summary: "Pending invites, without their tokens (ADMIN)",
  ...signedIn("ADMIN"),
  request: { query: PageQuery },
  responses: {
    200: jsonContent(listEnvelopeOf(InviteSchema), "A page of pending invites"),
    ...errorResponses(401, 403),
  },
});

export const revokeInvite = createRoute({
  method: "delete",
  path: "/api/users/invites/{id}",
  operationId: "revokeInvite",
  tags,
  summary: "Revoke a pending invite (ADMIN)",
  ...signedIn("ADMIN"),
  request: { params: IdParam },
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Invite revoked"),
    ...errorResponses(401, 403, 404),
  },
});

export const acceptInvite = createRoute({
  ...checksCredentials(),
  method: "post",
  path: "/api/users/accept-invite",
  operationId: "acceptInvite",
  tags,
  summary: "Join an organisation with an invite token; returns tokens like login",
  description: [
    "Creates an account (with `name`), or — when the invited email already has one — adds a membership to it once its password matches.",
    "A wrong password and a missing name get the same 401, so the answer does not tell whether the email has an account. Shares the",
    "credential budget with login: per address, and per invited account.",
  ].join(" "),
  request: jsonBody(AcceptInviteBody),
  responses: {
    200: jsonContent(
      envelopeOf(z.union([AuthResultSchema, SecondStepSchema])),
      "Joined and signed in; or, for an existing account with a second factor, joined and `mfaRequired` (no tokens yet)",
    ),
    ...errorResponses(401, 403, 404, 409, 410, 422),
  },
});

export const changeRole = createRoute({
  method: "patch",
  path: "/api/users/{id}/role",
  operationId: "changeMemberRole",
  tags,
  summary: "Change a member's role (ADMIN); the last ADMIN cannot be demoted",
  ...signedIn("ADMIN"),
  request: { params: IdParam, ...jsonBody(ChangeRoleBody) },
  responses: {
    200: jsonContent(envelopeOf(MemberSchema), "Role changed"),
    ...errorResponses(401, 403, 404, 409, 422),
  },
});

export const removeMember = createRoute({
  method: "delete",
  path: "/api/users/{id}",
  operationId: "removeMember",
  tags,
  summary: "Remove a member (ADMIN): not yourself, not an ADMIN",
  description: "Their sessions are revoked at once: the next request with their tokens is a 401 and their sockets close.",
  ...signedIn("ADMIN"),
  request: { params: IdParam },
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Member removed"),
    ...errorResponses(401, 403, 404),
  },
});
