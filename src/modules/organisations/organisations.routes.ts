import { createRoute, z } from "@hono/zod-openapi";
import { envelopeOf, errorResponses, jsonBody, jsonContent } from "../../lib/response.ts";
import { AuthResultSchema } from "../../lib/schemas.ts";
import { signedIn } from "../../middleware/auth.ts";
import { ActivitySchema } from "../activity/index.ts";
import {
  BroadcastBody,
  ChangePlanBody,
  CreateOrganisationBody,
  DeleteOrganisationBody,
  OrganisationSchema,
  RenameBody,
  SecurityBody,
  SecuritySchema,
} from "./organisations.schemas.ts";

const tags = ["Organisations"];

export const getOrganisation = createRoute({
  method: "get",
  path: "/api/organisations",
  operationId: "getOrganisation",
  tags,
  summary: "The caller's organisation, its plan and how many seats are taken",
  ...signedIn(),
  responses: {
    200: jsonContent(envelopeOf(OrganisationSchema), "The organisation"),
    ...errorResponses(401),
  },
});

export const changePlan = createRoute({
  method: "patch",
  path: "/api/organisations/subscription",
  operationId: "changeSubscriptionPlan",
  tags,
  summary: "Change the subscription plan (ADMIN)",
  description: [
    "Emits PLAN_UPGRADED or PLAN_DOWNGRADED. A downgrade below the members plus pending invites is refused (409). With",
    "BILLING_PROVIDER=stripe only a subscription changes the plan: 409 BILLING_MANAGED (use /api/billing/checkout or /portal).",
  ].join(" "),
  ...signedIn("ADMIN", { verifiedEmail: true }),
  request: jsonBody(ChangePlanBody),
  responses: {
    200: jsonContent(envelopeOf(OrganisationSchema), "The organisation on its new plan"),
    ...errorResponses(401, 403, 409, 422),
  },
});

export const broadcast = createRoute({
  method: "post",
  path: "/api/organisations/broadcast",
  operationId: "broadcastMessage",
  tags,
  summary: "Send a message to everyone in the organisation (ADMIN)",
  description: "Stored in the feed as BROADCAST_MESSAGE and pushed to every open socket of the organisation.",
  ...signedIn("ADMIN"),
  request: jsonBody(BroadcastBody),
  responses: {
    201: jsonContent(envelopeOf(ActivitySchema), "The activity that was broadcast"),
    ...errorResponses(401, 403, 422),
  },
});

export const rename = createRoute({
  method: "patch",
  path: "/api/organisations",
  operationId: "renameOrganisation",
  tags,
  summary: "Rename the organisation (ADMIN); the slug stays",
  description: "Emits ORGANISATION_RENAMED.",
  ...signedIn("ADMIN"),
  request: jsonBody(RenameBody),
  responses: {
    200: jsonContent(envelopeOf(OrganisationSchema), "The organisation under its new name"),
    ...errorResponses(401, 403, 409, 422),
  },
});

export const leave = createRoute({
  method: "post",
  path: "/api/organisations/leave",
  operationId: "leaveOrganisation",
  tags,
  summary: "Leave the organisation; the last ADMIN cannot (409)",
  description: [
    "Emits USER_LEFT. The caller's sessions in this organisation end and their sockets close (4003); their other organisations are",
    "untouched.",
  ].join(" "),
  ...signedIn(),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Left"),
    ...errorResponses(401, 409),
  },
});

export const deleteOrganisation = createRoute({
  method: "delete",
  path: "/api/organisations",
  operationId: "deleteOrganisation",
  tags,
  summary: "Delete the organisation and everything of it (ADMIN, confirming its name)",
  description: [
    "Members, invites, sessions, the activity log and queued mail go in one transaction. Its sockets close (4003) and its sessions die",
    "on every instance; members keep their other organisations.",
  ].join(" "),
  ...signedIn("ADMIN"),
  request: jsonBody(DeleteOrganisationBody),
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Deleted"),
    ...errorResponses(401, 403, 422),
  },
});

export const createOrganisation = createRoute({
  method: "post",
  path: "/api/organisations",
  operationId: "createOrganisation",
  tags,
  summary: "Create another organisation, as its ADMIN; returns tokens for it",
  description: [
    "Any signed-in account may, including one in no organisation. The answer is a session in the new organisation, as",
    "switch-organisation gives: a descendant of the caller's session, ended with it.",
  ].join(" "),
  ...signedIn(undefined, { anyOrganisation: true }),
  request: jsonBody(CreateOrganisationBody),
  responses: {
    201: jsonContent(envelopeOf(AuthResultSchema), "Created, and signed in to it"),
    ...errorResponses(401, 422),
  },
});

export const changeSecurity = createRoute({
  method: "patch",
  path: "/api/organisations/security",
  operationId: "changeOrganisationSecurity",
  tags,
  summary: "Require a second factor of every member (ADMIN, who must have one)",
  description: [
    "With requireTwoFactor on, a member without a second factor who signs in — or whose session is already open, on every instance,",
    "at its next request — may only set one up: every other route answers 403 TWO_FACTOR_REQUIRED and their sockets close (4006).",
    "Emits SECURITY_POLICY_CHANGED. Turning it on is a 409 while the caller has no second factor themselves.",
  ].join(" "),
  ...signedIn("ADMIN"),
  request: jsonBody(SecurityBody),
  responses: {
    200: jsonContent(envelopeOf(SecuritySchema), "The organisation's security settings"),
    ...errorResponses(401, 403, 409, 422),
  },
});

export const dataExport = createRoute({
  method: "get",
  path: "/api/organisations/data-export",
  operationId: "exportOrganisationData",
  tags,
  summary: "Every row of the organisation as NDJSON, for backup and portability (ADMIN)",
  description: [
    "One line per row, tagged with its table: the organisation, its memberships (with names and emails), invitations (without their",
    "tokens), every activity and its billing state; then `{ endOfExport: true, counts }`. Streamed in constant memory. No token, hash or",
    "secret is in it.",
  ].join(" "),
  ...signedIn("ADMIN"),
  responses: {
    200: {
      content: {
        "application/x-ndjson": { schema: z.string().openapi({ description: "NDJSON: { table, row } per line, then the trailer" }) },
      },
      description: "The organisation's data, streamed",
    },
    ...errorResponses(401, 403),
  },
});
