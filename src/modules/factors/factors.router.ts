import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./factors.handlers.ts";
import * as routes from "./factors.routes.ts";

export const factorsRouter = createRouter<AppEnv>()
  .openapi(routes.totpSetup, handlers.totpSetup)
  .openapi(routes.totpEnable, handlers.totpEnable)
  .openapi(routes.totpDisable, handlers.totpDisable)
  .openapi(routes.recoveryCodes, handlers.recoveryCodes)
  .openapi(routes.passkeyRegistrationOptions, handlers.passkeyRegistrationOptions)
  .openapi(routes.passkeyRegister, handlers.passkeyRegister)
  .openapi(routes.passkeyLoginOptions, handlers.passkeyLoginOptions)
  .openapi(routes.listPasskeys, handlers.listPasskeys)
  .openapi(routes.renamePasskey, handlers.renamePasskey)
  .openapi(routes.deletePasskey, handlers.deletePasskey);
