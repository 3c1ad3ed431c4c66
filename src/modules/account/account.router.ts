import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./account.handlers.ts";
import * as routes from "./account.routes.ts";

export const accountRouter = createRouter<AppEnv>()
  .openapi(routes.changePassword, handlers.changePassword)
  .openapi(routes.forgotPassword, handlers.forgotPassword)
  .openapi(routes.resetPassword, handlers.resetPassword)
  .openapi(routes.deleteAccount, handlers.deleteAccount)
  .openapi(routes.verifyEmail, handlers.verifyEmail)
  .openapi(routes.resendVerification, handlers.resendVerification);
