import { z } from "@hono/zod-openapi";
import { PlanSchema } from "../../lib/schemas.ts";

const returnUrl = (description: string) =>
  z
    .url({ protocol: /^https?$/, error: "Must be an http(s) URL" })
    .max(2048)
    .refine((value) => value.isWellFormed(), "Must not contain unpaired surrogates (invalid Unicode)")
    .optional()
    .openapi({
      description: `${description}; on this product's own origin (APP_URL or CORS_ORIGINS)`,
      example: "https://app.example.com/billing",
    });

export const CheckoutBody = z
  .strictObject({
    plan: z.enum(["PRO", "ENTERPRISE"]).openapi({ description: "The paid plan to subscribe to" }),
    successUrl: returnUrl("Where Stripe sends the browser after paying (default: APP_URL/billing?checkout=success)"),
    cancelUrl: returnUrl("Where Stripe sends the browser on cancel (default: APP_URL/billing?checkout=cancelled)"),
  })
  .openapi("CheckoutBody");

export const PortalBody = z
  .strictObject({ returnUrl: returnUrl("Where the portal's back link goes (default: APP_URL/billing)") })
  .openapi("PortalBody");

export const RedirectSchema = z.object({ url: z.url() }).openapi("BillingRedirect");

const instant = z.iso.datetime().nullable();

export const BillingOverviewSchema = z
  .object({
    provider: z.enum(["none", "stripe"]),
    plan: PlanSchema,
    status: z
      .string()
      .nullable()
      .openapi({ description: "The subscription's Stripe status (trialing, active, past_due, canceled, unpaid…); null without one" }),
    trialEnd: instant,
    currentPeriodEnd: instant,
    cancelAtPeriodEnd: z.boolean(),
    graceUntil: instant.openapi({ description: "While past_due: when the plan falls back to FREE unless a payment succeeds" }),
    seats: z.number().int().openapi({ description: "Members: what a per-seat subscription is billed for" }),
    source: z.enum(["billing", "comp", "manual"]).openapi({
      description:
        "What sets the plan now: the subscription (billing), an operator by hand (comp, until compUntil), or the ADMIN (manual: BILLING_PROVIDER=none)",
    }),
    compUntil: instant.openapi({ description: "When the comp ends by itself; null while none, or one until lifted" }),
  })
  .openapi("BillingOverview");

export type BillingOverview = z.infer<typeof BillingOverviewSchema>;
