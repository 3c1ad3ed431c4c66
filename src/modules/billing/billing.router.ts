import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./billing.handlers.ts";
import * as routes from "./billing.routes.ts";

export const billingRouter = createRouter<AppEnv>()
  .openapi(routes.getBilling, handlers.getBilling)
  .openapi(routes.checkout, handlers.checkout)
  .openapi(routes.portal, handlers.portal)
  .openapi(routes.webhook, handlers.webhook);
