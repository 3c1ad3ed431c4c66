import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./organisations.handlers.ts";
import * as routes from "./organisations.routes.ts";

export const organisationsRouter = createRouter<AppEnv>()
  .openapi(routes.getOrganisation, handlers.getOrganisation)
  .openapi(routes.createOrganisation, handlers.createOrganisation)
  .openapi(routes.changePlan, handlers.changePlan)
  .openapi(routes.broadcast, handlers.broadcast)
  .openapi(routes.rename, handlers.rename)
  .openapi(routes.leave, handlers.leave)
  .openapi(routes.deleteOrganisation, handlers.deleteOrganisation)
  .openapi(routes.changeSecurity, handlers.changeSecurity)
  .openapi(routes.dataExport, handlers.dataExport);
