import type { AppRouteHandler } from "../../app-env.ts";
import { ok, okList } from "../../lib/response.ts";
import { originOf } from "../../middleware/client-ip.ts";
import type * as routes from "./members.routes.ts";

export const listMembers: AppRouteHandler<typeof routes.listMembers> = async (c) => {
  const page = await c.var.services.members.list(c.var.auth, c.req.valid("query"));
  return c.json(okList("Members", page.members, page.nextCursor), 200);
};

export const invite: AppRouteHandler<typeof routes.invite> = async (c) => {
  const created = await c.var.services.invites.invite(c.var.auth, c.req.valid("json"));
  return c.json(ok("Invite created", created), 201);
};

export const listInvites: AppRouteHandler<typeof routes.listInvites> = async (c) => {
  const page = await c.var.services.invites.listPending(c.var.auth, c.req.valid("query"));
  return c.json(okList("Pending invites", page.invites, page.nextCursor), 200);
};

export const revokeInvite: AppRouteHandler<typeof routes.revokeInvite> = async (c) => {
  await c.var.services.invites.revoke(c.var.auth, c.req.valid("param").id);
  return c.json(ok("Invite revoked", null), 200);
};

export const acceptInvite: AppRouteHandler<typeof routes.acceptInvite> = async (c) => {
  const result = await c.var.services.acceptInvite.accept(c.req.valid("json"), originOf(c));
  return c.json(ok("Invite accepted", result), 200);
};

export const changeRole: AppRouteHandler<typeof routes.changeRole> = async (c) => {
  const member = await c.var.services.members.changeRole(c.var.auth, c.req.valid("param").id, c.req.valid("json").role);
  return c.json(ok(`Role changed to ${member.role}`, member), 200);
};

export const removeMember: AppRouteHandler<typeof routes.removeMember> = async (c) => {
  await c.var.services.members.remove(c.var.auth, c.req.valid("param").id);
  return c.json(ok("Member removed", null), 200);
};
