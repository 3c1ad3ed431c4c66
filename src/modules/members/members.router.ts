import type { AppEnv } from "../../app-env.ts";
import { createRouter } from "../../lib/router.ts";
import * as handlers from "./members.handlers.ts";
import * as routes from "./members.routes.ts";

// Static paths first: /api/users/invites must not be taken for /api/users/{id}.
export const membersRouter = createRouter<AppEnv>()
  .openapi(routes.listMembers, handlers.listMembers)
  .openapi(routes.invite, handlers.invite)
  .openapi(routes.listInvites, handlers.listInvites)
  .openapi(routes.acceptInvite, handlers.acceptInvite)
  .openapi(routes.revokeInvite, handlers.revokeInvite)
  .openapi(routes.changeRole, handlers.changeRole)
  .openapi(routes.removeMember, handlers.removeMember);
