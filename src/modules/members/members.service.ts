import { and, eq } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import type { AuthChange } from "../../db/notifications.ts";
import { memberships, sessions, users } from "../../db/schema/index.ts";
import { withOrg } from "../../db/tenant.ts";
import { runRead } from "../../db/tenant-calls.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { cutPage, decodeTimeKey, encodeTimeKey } from "../../lib/cursor.ts";
import { ConflictError, ForbiddenError, NotFoundError } from "../../lib/errors.ts";
import type { PageInput } from "../../lib/schemas.ts";
import type { Role } from "../../lib/vocabulary.ts";
import { recordActivity, summaryOf } from "../activity/index.ts";
import { adminCount, lockOrganisation } from "../organisations/index.ts";
import { announceAuthChange, revokeSessions } from "../sessions/index.ts";
import { type MemberRow, membersPageRead } from "./members.reads.ts";
import type { Member } from "./members.schemas.ts";

const memberColumns = {
  id: users.id,
  name: users.name,
  email: users.email,
  role: memberships.role,
  joined_at: memberships.createdAt,
};

const toMember = ({ id, name, email, role, joined_at }: MemberRow): Member => ({
  id,
  name,
  email,
  role,
  joinedAt: joined_at.toISOString(),
});

/** A member of the caller's organisation, or 404 — also for another organisation's user ids. */
async function findMember(tx: Tx, organisationId: string, userId: string) {
  const [member] = await tx
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organisationId, organisationId), eq(memberships.userId, userId)));
  if (!member) throw new NotFoundError("Member not found");
  return member;
}

const summary = (member: { id: string; name: string; email: string }) => ({
  id: member.id,
  name: member.name,
  email: member.email,
});

export function createMemberService({ db }: { db: Db }) {
  /** Runs a membership change under the organisation lock, and announces what it did to the member's sessions. */
  function changeMembership<T>(auth: AuthContext, fn: (tx: Tx) => Promise<{ result: T; change: AuthChange }>): Promise<T> {
    return withOrg(db, auth.orgId, async (tx) => {
      await lockOrganisation(tx, auth.orgId);
      const { result, change } = await fn(tx);
      await announceAuthChange(tx, change);
      return result;
    });
  }

  return {
    /** Members in the order they joined, keyset-paginated on (joined at, user id). */
    async list(auth: AuthContext, { limit, cursor }: PageInput) {
      const after = cursor ? decodeTimeKey(cursor) : undefined;
      const rows = await runRead<MemberRow>(db, membersPageRead, [auth.orgId, limit, after?.at.toISOString() ?? null, after?.id ?? null]);
      const { items, nextCursor } = cutPage(rows, limit, (last) => encodeTimeKey({ at: last.joined_at, id: last.id }));
      return { members: items.map(toMember), nextCursor };
    },

    /** Gives a member another role. The organisation always keeps at least one ADMIN. */
    changeRole: (auth: AuthContext, userId: string, role: Role): Promise<Member> =>
      changeMembership(auth, async (tx) => {
        const member = await findMember(tx, auth.orgId, userId);
        if (member.role === role) throw new ConflictError(`This member is already ${role}`);
        if (member.role === "ADMIN" && (await adminCount(tx, auth.orgId)) <= 1) {
          throw new ConflictError("The last ADMIN cannot be demoted; promote someone else first", "LAST_ADMIN");
        }
        await tx
          .update(memberships)
          .set({ role })
          .where(and(eq(memberships.organisationId, auth.orgId), eq(memberships.userId, userId)));
        await recordActivity(tx, auth, {
          type: "USER_ROLE_CHANGED",
          payload: { userId, from: member.role, to: role, changedBy: summaryOf(auth) },
          target: summary(member),
        });
        return { result: toMember({ ...member, role }), change: { kind: "member", orgId: auth.orgId, userId, role } };
      }),

    /**
     * Removes a member: the membership goes, every session they hold in this organisation is
     * revoked (so their refresh tokens die), and every instance drops them from its cache and
     * closes their sockets.
     */
    async remove(auth: AuthContext, userId: string): Promise<void> {
      if (userId === auth.userId) throw new ForbiddenError("You cannot remove yourself");
      await changeMembership(auth, async (tx) => {
        const member = await findMember(tx, auth.orgId, userId);
        if (member.role === "ADMIN") throw new ForbiddenError("An ADMIN cannot be removed; change their role to MEMBER first");
        await tx.delete(memberships).where(and(eq(memberships.organisationId, auth.orgId), eq(memberships.userId, userId)));
        await revokeSessions(tx, and(eq(sessions.organisationId, auth.orgId), eq(sessions.userId, userId)));
        await recordActivity(tx, auth, {
          type: "USER_REMOVED",
          payload: { userId, removedBy: summaryOf(auth) },
          target: summary(member),
        });
        return { result: undefined, change: { kind: "member", orgId: auth.orgId, userId, role: null } };
      });
    },

    /**
     * The caller leaves the organisation: their membership goes and their sessions in it end.
     * The last ADMIN cannot leave (409): promote someone first, or delete the organisation.
     */
    async leave(auth: AuthContext): Promise<void> {
      await changeMembership(auth, async (tx) => {
        const member = await findMember(tx, auth.orgId, auth.userId);
        if (member.role === "ADMIN" && (await adminCount(tx, auth.orgId)) <= 1) {
          throw new ConflictError("You are the last ADMIN: promote someone else first, or delete the organisation", "LAST_ADMIN");
        }
        await tx.delete(memberships).where(and(eq(memberships.organisationId, auth.orgId), eq(memberships.userId, auth.userId)));
        await revokeSessions(tx, and(eq(sessions.organisationId, auth.orgId), eq(sessions.userId, auth.userId)));
        await recordActivity(tx, auth, {
          type: "USER_LEFT",
          payload: { userId: auth.userId, name: member.name, email: member.email, accountDeleted: false },
          target: summary(member),
        });
        return { result: undefined, change: { kind: "member", orgId: auth.orgId, userId: auth.userId, role: null } };
      });
    },
  };
}
