import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Tx } from "../../db/client.ts";
import { memberships, organisations, sessions, users } from "../../db/schema/index.ts";
import { ConflictError, NotFoundError } from "../../lib/errors.ts";
import { announceAuthChange, LIVE_FAMILY, revokeUser } from "../sessions/index.ts";
import type { AdminUser, AdminUserDetail } from "./admin.schemas.ts";
import { containing, iso, type OperatorScope } from "./admin-scope.ts";
import type { Operator } from "./operators.ts";

/** A user as operators see one (never a password hash or a factor's secret). */
const toAdminUser = (user: typeof users.$inferSelect): AdminUser => ({
  id: user.id,
  name: user.name,
  email: user.email,
  createdAt: user.createdAt.toISOString(),
  disabledAt: iso(user.disabledAt),
  platformRole: user.platformRole,
  hasSecondFactor: user.hasSecondFactor,
});

/** What operators do to users: search, show, sign out everywhere, disable and enable. */
export function createUserOperations({ act }: { act: OperatorScope }) {
  async function existingUser(tx: Tx, id: string) {
    const [user] = await tx.select().from(users).where(eq(users.id, id));
    if (!user) throw new NotFoundError("User not found");
    return user;
  }

  return {
    searchUsers: (operator: Operator, email: string): Promise<AdminUser[]> =>
      act(operator, { action: "users.search", target: { type: "platform" }, detail: { email } }, async (tx) => {
        const rows = await tx
          .select()
          .from(users)
          .where(sql`lower(${users.email}) like lower(${containing(email)})`)
          .orderBy(users.email)
          .limit(50);
        return rows.map(toAdminUser);
      }),

    showUser: (operator: Operator, id: string): Promise<AdminUserDetail> =>
      act(operator, { action: "user.show", target: { type: "user", id } }, async (tx) => {
        const user = await existingUser(tx, id);
        const member = await tx
          .select({
            organisationId: organisations.id,
            name: organisations.name,
            role: memberships.role,
            suspended: organisations.suspendedAt,
          })
          .from(memberships)
          .innerJoin(organisations, eq(organisations.id, memberships.organisationId))
          .where(eq(memberships.userId, id));
        const live = await tx
          .select({
            id: sessions.id,
            organisationId: sessions.organisationId,
            method: sessions.method,
            createdAt: sessions.createdAt,
            lastUsedAt: sessions.lastUsedAt,
            ip: sessions.ip,
            userAgent: sessions.userAgent,
          })
          .from(sessions)
          .where(and(eq(sessions.userId, id), isNull(sessions.revokedAt), sql.raw(LIVE_FAMILY)))
          .orderBy(desc(sessions.lastUsedAt));
        return {
          ...toAdminUser(user),
          memberships: member.map((m) => ({
            organisationId: m.organisationId,
            name: m.name,
            role: m.role,
            organisationSuspended: m.suspended !== null,
          })),
          sessions: live.map((s) => ({ ...s, createdAt: s.createdAt.toISOString(), lastUsedAt: s.lastUsedAt.toISOString() })),
        };
      }),

    /** Every session of the user ends, on every instance, sockets included (4001). */
    revokeSessions: (operator: Operator, id: string, reason: string) =>
      act(operator, { action: "user.revoke_sessions", target: { type: "user", id }, reason }, async (tx) => {
        await existingUser(tx, id);
        await revokeUser(tx, id);
      }),

    /** No sign-in, no refresh, and 403 ACCOUNT_DISABLED on every route, on every instance; sockets close (4007). */
    disableUser: (operator: Operator, id: string, reason: string) =>
      act(operator, { action: "user.disable", target: { type: "user", id }, reason }, async (tx) => {
        const user = await existingUser(tx, id);
        if (user.disabledAt) throw new ConflictError("The user is already disabled");
        if (user.id === operator.userId) throw new ConflictError("Operators cannot disable themselves");
        await tx.update(users).set({ disabledAt: new Date() }).where(eq(users.id, id));
        await announceAuthChange(tx, { kind: "requirements", userId: id });
      }),

    enableUser: (operator: Operator, id: string, reason: string) =>
      act(operator, { action: "user.enable", target: { type: "user", id }, reason }, async (tx) => {
        const user = await existingUser(tx, id);
        if (!user.disabledAt) throw new ConflictError("The user is not disabled");
        await tx.update(users).set({ disabledAt: null }).where(eq(users.id, id));
        await announceAuthChange(tx, { kind: "requirements", userId: id });
      }),
  };
}
