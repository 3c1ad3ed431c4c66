import type { AppRouteHandler } from "../../app-env.ts";
import { ok, okList } from "../../lib/response.ts";
import { originOf } from "../../middleware/client-ip.ts";
import type * as routes from "./members.routes.ts";

export const listMembers: AppRouteHandler<typeof routes.listMembers> = async (c) => {
  const page = await c.get("services").members.list(c.get("auth"), c.req.valid("query"));
  return c.json(okList("Members", page.members, page.nextCursor), 200);
};

export const invite: AppRouteHandler<typeof routes.invite> = async (c) => {
  const created = await c.get("services").invites.invite(c.get("auth"), c.req.valid("json"));
  return c.json(ok("Invite created", created), 201);
};

export const listInvites: AppRouteHandler<typeof routes.listInvites> = async (c) => {
  const page = await c.get("services").invites.listPending(c.get("auth"), c.req.valid("query"));
  return c.json(okList("Pending invites", page.invites, page.nextCursor), 200);
};

export const revokeInvite: AppRouteHandler<typeof routes.revokeInvite> = async (c) => {
  await c.get("services").invites.revoke(c.get("auth"), c.req.valid("param").id);
  return c.json(ok("Invite revoked", null), 200);
};

export const acceptInvite: AppRouteHandler<typeof routes.acceptInvite> = async (c) => {
  const result = await c.get("services").acceptInvite.accept(c.req.valid("json"), originOf(c));
  return c.json(ok("Invite accepted", result), 200);
};

export const changeRole: AppRouteHandler<typeof routes.changeRole> = async (c) => {
  const member = await c.get("services").members.changeRole(c.get("auth"), c.req.valid("param").id, c.req.valid("json").role);
  return c.json(ok(`Role changed to ${member.role}`, member), 200);
};

export const removeMember: AppRouteHandler<typeof routes.removeMember> = async (c) => {
  await c.get("services").members.remove(c.get("auth"), c.req.valid("param").id);
  return c.json(ok("Member removed", null), 200);
};
