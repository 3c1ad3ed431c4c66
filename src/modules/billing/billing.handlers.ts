import type { AppRouteHandler } from "../../app-env.ts";
import { ok } from "../../lib/response.ts";
import type * as routes from "./billing.routes.ts";

export const getBilling: AppRouteHandler<typeof routes.getBilling> = async (c) =>
  c.json(ok("Billing", await c.get("services").billing.overview(c.get("auth"))), 200);

export const checkout: AppRouteHandler<typeof routes.checkout> = async (c) => {
  const { plan, ...urls } = c.req.valid("json");
  return c.json(ok("Checkout started: send the browser to url", await c.get("services").billing.checkout(c.get("auth"), plan, urls)), 200);
};

export const portal: AppRouteHandler<typeof routes.portal> = async (c) => {
  const { returnUrl } = c.req.valid("json");
  return c.json(ok("Portal opened: send the browser to url", await c.get("services").billing.portal(c.get("auth"), returnUrl)), 200);
};

export const webhook: AppRouteHandler<typeof routes.webhook> = async (c) => {
  // The raw text, exactly as signed: never a re-serialised parse.
  const outcome = await c.get("services").billingWebhooks.receive(await c.req.text(), c.req.header("stripe-signature"));
  return c.json(ok(`Event ${outcome.replace("_", " ")}`, { outcome }), 200);
};
