import { createRoute, z } from "@hono/zod-openapi";
import { envelopeOf, errorResponses, jsonBody, jsonContent } from "../../lib/response.ts";
import { signedIn } from "../../middleware/auth.ts";
import { BillingOverviewSchema, CheckoutBody, PortalBody, RedirectSchema } from "./billing.schemas.ts";

const tags = ["Billing"];

export const getBilling = createRoute({
  method: "get",
  path: "/api/billing",
  operationId: "getBilling",
  tags,
  summary: "The organisation's subscription: plan, status, trial, period, grace and seats (ADMIN)",
  ...signedIn("ADMIN"),
  responses: {
    200: jsonContent(envelopeOf(BillingOverviewSchema), "The subscription as Stripe last told us"),
    ...errorResponses(401, 403),
  },
});

export const checkout = createRoute({
  method: "post",
  path: "/api/billing/checkout",
  operationId: "startCheckout",
  tags,
  summary: "Start a Stripe Checkout for a paid plan (ADMIN); send the browser to the returned URL",
  description: [
    "The plan changes when Stripe's webhook says the subscription is active or trialing, not when this answers.",
    "409 ALREADY_SUBSCRIBED when a subscription already bills the organisation (change it in the portal), BILLING_DISABLED when",
    "BILLING_PROVIDER=none; 502/503 when Stripe refuses or cannot be reached.",
  ].join(" "),
  ...signedIn("ADMIN", { verifiedEmail: true }),
  request: jsonBody(CheckoutBody),
  responses: {
    200: jsonContent(envelopeOf(RedirectSchema), "The Checkout Session's URL"),
    ...errorResponses(401, 403, 409, 422, 502, 503),
  },
});

export const portal = createRoute({
  method: "post",
  path: "/api/billing/portal",
  operationId: "openBillingPortal",
  tags,
  summary: "Open Stripe's billing portal for the organisation (ADMIN): change plan, card, or cancel",
  description: "409 NO_BILLING_ACCOUNT before the first checkout; 502/503 when Stripe refuses or cannot be reached.",
  ...signedIn("ADMIN"),
  request: jsonBody(PortalBody),
  responses: {
    200: jsonContent(envelopeOf(RedirectSchema), "The portal session's URL"),
    ...errorResponses(401, 403, 409, 422, 502, 503),
  },
});

export const webhook = createRoute({
  method: "post",
  path: "/api/billing/webhook",
  operationId: "receiveStripeWebhook",
  tags,
  summary: "Stripe's webhook: a signed event, applied once",
  description: [
    "For Stripe only: verified by its Stripe-Signature over the raw body (STRIPE_WEBHOOK_SECRET). A duplicate or an event type",
    "that changes nothing is answered 200. Outside user authentication and the user rate limit, with a limit of its own.",
  ].join(" "),
  security: [],
  request: {
    headers: z.object({ "stripe-signature": z.string().optional().openapi({ description: "Stripe's signature of the body" }) }),
    body: {
      required: true,
      content: {
        "application/json": {
          schema: {
            type: "object",
            description: "A Stripe event (https://docs.stripe.com/api/events/object), exactly as Stripe sent it",
            required: ["id", "type"],
            properties: { id: { type: "string" }, type: { type: "string" } },
          },
        },
      },
    },
  },
  responses: {
    200: jsonContent(
      envelopeOf(z.object({ outcome: z.enum(["applied", "duplicate", "ignored", "unknown_customer"]) })),
      "Received: applied, a duplicate, or nothing to do",
    ),
    ...errorResponses(409, 503),
  },
});
