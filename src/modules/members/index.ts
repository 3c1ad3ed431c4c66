// What the composition root uses of the members module.
export { createAcceptInviteService } from "./accept-invite.service.ts";
export { createInviteService } from "./invites.service.ts";
export { membersPageRead, pendingInvitesPageRead } from "./members.reads.ts";
export { createMemberService } from "./members.service.ts";
