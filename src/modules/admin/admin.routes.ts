import { createRoute, z } from "@hono/zod-openapi";
import { IdParam } from "../../lib/fields.ts";
import { envelopeOf, errorResponses, jsonBody, jsonContent, listEnvelopeOf } from "../../lib/response.ts";
import { operatorOnly } from "../../middleware/auth.ts";
import {
  AdminOrganisationDetailSchema,
  AdminOrganisationSchema,
  AdminUserDetailSchema,
  AdminUserSchema,
  CompBody,
  OrganisationSearchQuery,
  PlanResultSchema,
  ReasonBody,
  UserSearchQuery,
} from "./admin.schemas.ts";

const tags = ["Platform administration"];
const ndjson = {
  content: {
    "application/x-ndjson": {
      schema: z.string().openapi({ description: "One JSON object per line: { table, row }, then { endOfExport, counts }" }),
    },
  },
  description: "Every row of the organisation, streamed",
};

export const searchOrganisations = createRoute({
  method: "get",
  path: "/api/admin/organisations",
  operationId: "adminSearchOrganisations",
  tags,
  summary: "Search organisations by name or slug, plan and status, newest first (operators)",
  ...operatorOnly(),
  request: { query: OrganisationSearchQuery },
  responses: {
    200: jsonContent(listEnvelopeOf(AdminOrganisationSchema), "A page of organisations"),
    ...errorResponses(401, 403),
  },
});

export const showOrganisation = createRoute({
  method: "get",
  path: "/api/admin/organisations/{id}",
  operationId: "adminShowOrganisation",
  tags,
  summary: "One organisation: plan, comp, billing status, members and its latest activity (operators)",
  ...operatorOnly(),
  request: { params: IdParam },
  responses: {
    200: jsonContent(envelopeOf(AdminOrganisationDetailSchema), "The organisation"),
    ...errorResponses(401, 403, 404),
  },
});

const organisationAction = (path: string, operationId: string, summary: string, description: string) =>
  createRoute({
    method: "post",
    path: `/api/admin/organisations/{id}/${path}`,
    operationId,
    tags,
    summary,
    description,
    ...operatorOnly(),
    request: { params: IdParam, ...jsonBody(ReasonBody) },
    responses: {
      200: jsonContent(envelopeOf(z.null()), "Done"),
      ...errorResponses(401, 403, 404, 409, 422),
    },
  });

export const suspendOrganisation = organisationAction(
  "suspend",
  "adminSuspendOrganisation",
  "Suspend an organisation (operators)",
  "Its members get 403 ORGANISATION_SUSPENDED on every tenant route, on every instance, from their next request; their sockets close (4005); invitations into it are refused; its data is untouched. Its feed records ORGANISATION_SUSPENDED with the reason.",
);
export const unsuspendOrganisation = organisationAction(
  "unsuspend",
  "adminUnsuspendOrganisation",
  "Lift a suspension (operators)",
  "Records ORGANISATION_UNSUSPENDED in its feed.",
);

export const compPlan = createRoute({
  method: "post",
  path: "/api/admin/organisations/{id}/plan",
  operationId: "adminCompPlan",
  tags,
  summary: "Set the plan by hand (a comp), with a reason and an optional end (operators)",
  description:
    "Shows in GET /api/billing as source comp; billing events do not override it while it lasts. `plan: null` lifts it. Emits PLAN_UPGRADED or PLAN_DOWNGRADED with source comp.",
  ...operatorOnly(),
  request: { params: IdParam, ...jsonBody(CompBody) },
  responses: {
    200: jsonContent(envelopeOf(PlanResultSchema), "The organisation's plan now"),
    ...errorResponses(401, 403, 404, 409, 422),
  },
});

export const deleteOrganisation = createRoute({
  method: "delete",
  path: "/api/admin/organisations/{id}",
  operationId: "adminDeleteOrganisation",
  tags,
  summary: "Delete an organisation and everything of it, as its ADMIN's deletion does (operators)",
  ...operatorOnly(),
  request: { params: IdParam, ...jsonBody(ReasonBody) },
  responses: {
    200: jsonContent(envelopeOf(z.null()), "Deleted"),
    ...errorResponses(401, 403, 404, 422),
  },
});

export const exportOrganisation = createRoute({
  method: "get",
  path: "/api/admin/organisations/{id}/data-export",
  operationId: "adminExportOrganisation",
  tags,
  summary: "Every row of one organisation as NDJSON (operators)",
  ...operatorOnly(),
  request: { params: IdParam },
  responses: { 200: ndjson, ...errorResponses(401, 403, 404) },
});

export const searchUsers = createRoute({
  method: "get",
  path: "/api/admin/users",
  operationId: "adminSearchUsers",
  tags,
  summary: "Search users by email (operators; at most 50)",
  ...operatorOnly(),
  request: { query: UserSearchQuery },
  responses: {
    200: jsonContent(envelopeOf(z.array(AdminUserSchema)), "Matching users"),
    ...errorResponses(401, 403),
  },
});

export const showUser = createRoute({
  method: "get",
  path: "/api/admin/users/{id}",
  operationId: "adminShowUser",
  tags,
  summary: "One user: memberships and live sessions (operators)",
  ...operatorOnly(),
  request: { params: IdParam },
  responses: {
    200: jsonContent(envelopeOf(AdminUserDetailSchema), "The user"),
    ...errorResponses(401, 403, 404),
  },
});

const userAction = (path: string, operationId: string, summary: string) =>
  createRoute({
    method: "post",
    path: `/api/admin/users/{id}/${path}`,
    operationId,
    tags,
    summary,
    ...operatorOnly(),
    request: { params: IdParam, ...jsonBody(ReasonBody) },
    responses: {
      200: jsonContent(envelopeOf(z.null()), "Done"),
      ...errorResponses(401, 403, 404, 409, 422),
    },
  });

export const revokeUserSessions = userAction(
  "revoke-sessions",
  "adminRevokeUserSessions",
  "End every session of a user, on every instance, sockets included (operators)",
);
export const disableUser = userAction(
  "disable",
  "adminDisableUser",
  "Disable a user: no sign-in, 403 ACCOUNT_DISABLED on every route, sockets closed (4007) (operators)",
);
export const enableUser = userAction("enable", "adminEnableUser", "Enable a disabled user (operators)");
