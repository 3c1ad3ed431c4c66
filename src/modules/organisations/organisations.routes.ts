import { createRoute } from "@hono/zod-openapi";
import { signedIn } from "../../middleware/auth.ts";
import { envelopeOf, errorResponses, jsonBody, jsonContent } from "../../lib/response.ts";
import { ActivitySchema } from "../activity/index.ts";
import { BroadcastBody, ChangePlanBody, OrganisationSchema } from "./organisations.schemas.ts";

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
  description: "Emits PLAN_UPGRADED or PLAN_DOWNGRADED. A downgrade below the members plus pending invites is refused (409).",
  ...signedIn("ADMIN"),
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
