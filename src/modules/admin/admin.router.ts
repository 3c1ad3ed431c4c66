import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./admin.handlers.ts";
import * as routes from "./admin.routes.ts";

export const adminRouter = createRouter<AppEnv>()
  .openapi(routes.searchOrganisations, handlers.searchOrganisations)
  .openapi(routes.showOrganisation, handlers.showOrganisation)
  .openapi(routes.suspendOrganisation, handlers.suspendOrganisation)
  .openapi(routes.unsuspendOrganisation, handlers.unsuspendOrganisation)
  .openapi(routes.compPlan, handlers.compPlan)
  .openapi(routes.deleteOrganisation, handlers.deleteOrganisation)
  .openapi(routes.exportOrganisation, handlers.exportOrganisation)
  .openapi(routes.searchUsers, handlers.searchUsers)
  .openapi(routes.showUser, handlers.showUser)
  .openapi(routes.revokeUserSessions, handlers.revokeUserSessions)
  .openapi(routes.disableUser, handlers.disableUser)
  .openapi(routes.enableUser, handlers.enableUser);
