import { and, asc, eq, gt, lte, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import { invites, memberships, organisations, users } from "../../db/schema/index.ts";
import { afterTimeKey } from "../../db/sql.ts";
import { withOrg, withSystem } from "../../db/tenant.ts";
import type { AuthContext } from "../../lib/app-env.ts";
import { cutPage, decodeTimeKey, encodeTimeKey } from "../../lib/cursor.ts";
import {
  ConflictError,
  GoneError,
  LimitExceededError,
  NotFoundError,
  UnauthorizedError,
} from "../../lib/errors.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import { generateToken, hashToken } from "../../lib/tokens.ts";
import type { UserSummary } from "../activity/activity.events.ts";
import { recordActivity, summaryOf } from "../activity/activity.service.ts";
import type { AuthResult } from "../auth/auth.schemas.ts";
import type { SessionService } from "../auth/sessions.service.ts";
import { hasRoomFor, memberLimitOf, type PlanName } from "../organisations/plans.ts";
import { lockOrganisation, lockSeats } from "../organisations/seats.ts";
import type { AcceptInviteInput, CreatedInvite, Invite, InviteInput, PageInput } from "./users.schemas.ts";

const INVITE_LIFETIME_MS = 24 * 60 * 60 * 1000;

/** Who is joining: an account that proved itself, or one to create. */
type Joiner = { kind: "existing"; user: UserSummary } | { kind: "new"; name: string; passwordHash: string };

type Deps = { db: Db; config: Config; passwords: PasswordHasher; attempts: AttemptLimiter; sessions: SessionService };

type Account = UserSummary & { passwordHash: string };

const JOIN_REFUSED =
  "Could not join: give the password of the invited email's account, or a name and a new password to create one";

const planLimitMessage = (plan: PlanName) =>
  `The ${plan} plan allows ${memberLimitOf(plan)} members including pending invites; upgrade the plan to invite more`;

/** Throws the answer for an invite that cannot be accepted: unknown or revoked 404, used 409, expired 410. */
function assertAcceptable(invite: { status: string; expiresAt: Date } | undefined): asserts invite {
  if (!invite || invite.status === "REVOKED") throw new NotFoundError("Invite not found");
  if (invite.status === "ACCEPTED") throw new ConflictError("This invite has already been used");
  if (invite.status === "EXPIRED" || invite.expiresAt.getTime() <= Date.now()) throw new GoneError("This invite has expired");
}

export function createInviteService({ db, config, passwords, attempts, sessions }: Deps) {
  const hashInvite = (token: string) => hashToken(config.JWT_REFRESH_SECRET, "invite", token);

  /**
   * Who is joining: the invited email's account once its password matches, or a new account
   * when there is none and a name was given. Every other case is the same 401, after the same
   * bcrypt work and against the same per-account budget, so the answer never tells whether the
   * invited email has an account: accept-invite is no better a password oracle than login.
   */
  async function proveJoiner(input: AcceptInviteInput, email: string, account: Account | undefined): Promise<Joiner> {
    const proven = await attempts.check(email, async () => {
      if (account) return passwords.verify(input.password, account.passwordHash);
      if (input.name) return true;
      return passwords.verifyNobody(input.password);
    });
    if (!proven) throw new UnauthorizedError(JOIN_REFUSED);
    if (account) return { kind: "existing", user: { id: account.id, name: account.name, email: account.email } };
    return { kind: "new", name: input.name as string, passwordHash: await passwords.hash(input.password) };
  }

  return {
    /**
     * Invites `email` with `role`. Under the organisation lock: not already a member, no other
     * pending invite, and a free seat on the plan — members plus pending invites never exceed it.
     */
    invite: (auth: AuthContext, { email, role }: InviteInput): Promise<CreatedInvite> =>
      withOrg(db, auth.orgId, async (tx) => {
        const seats = await lockSeats(tx, auth.orgId);
        const [member] = await tx
          .select({ id: users.id })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(and(eq(memberships.organisationId, auth.orgId), sql`lower(${users.email}) = ${email}`));
        if (member) throw new ConflictError(`${email} is already a member of this organisation`);

        // Lapsed invites neither hold a seat nor block a new invite to the same address.
        await tx
          .update(invites)
          .set({ status: "EXPIRED" })
          .where(and(eq(invites.organisationId, auth.orgId), eq(invites.status, "PENDING"), lte(invites.expiresAt, sql`now()`)));
        const [pending] = await tx
          .select({ id: invites.id })
          .from(invites)
          .where(and(eq(invites.organisationId, auth.orgId), eq(invites.email, email), eq(invites.status, "PENDING")));
        if (pending) throw new ConflictError(`${email} already has a pending invite`);

        if (!hasRoomFor(seats.plan, seats.members + seats.pendingInvites)) throw new LimitExceededError(planLimitMessage(seats.plan));

        const token = generateToken();
        const [invite] = await tx
          .insert(invites)
          .values({
            organisationId: auth.orgId,
            email,
            role,
            tokenHash: hashInvite(token),
            invitedBy: auth.userId,
            expiresAt: new Date(Date.now() + INVITE_LIFETIME_MS),
          })
          .returning({ id: invites.id, expiresAt: invites.expiresAt });
        if (!invite) throw new Error("invite insert returned no row");
        await recordActivity(tx, auth, {
          type: "INVITE_SENT",
          payload: { inviteId: invite.id, email, role, invitedBy: summaryOf(auth) },
        });
        return { id: invite.id, email, role, expiresAt: invite.expiresAt.toISOString(), token };
      }),

    /** Invites still pending, oldest first, keyset-paginated. Never their tokens. */
    async listPending(auth: AuthContext, { limit, cursor }: PageInput) {
      const after = cursor ? decodeTimeKey(cursor) : undefined;
      const rows = await withOrg(db, auth.orgId, (tx) =>
        tx
          .select({
            id: invites.id,
            email: invites.email,
            role: invites.role,
            expiresAt: invites.expiresAt,
            createdAt: invites.createdAt,
            inviterId: users.id,
            inviterName: users.name,
            inviterEmail: users.email,
          })
          .from(invites)
          .leftJoin(users, eq(users.id, invites.invitedBy))
          .where(
            and(
              eq(invites.organisationId, auth.orgId),
              eq(invites.status, "PENDING"),
              gt(invites.expiresAt, sql`now()`),
              afterTimeKey(invites.createdAt, invites.id, after),
            ),
          )
          .orderBy(asc(invites.createdAt), asc(invites.id))
          .limit(limit + 1),
      );
      const { items, nextCursor } = cutPage(rows, limit, (last) => encodeTimeKey({ at: last.createdAt, id: last.id }));
      const list: Invite[] = items.map((row) => ({
        id: row.id,
        email: row.email,
        role: row.role,
        expiresAt: row.expiresAt.toISOString(),
        invitedBy:
          row.inviterId && row.inviterName && row.inviterEmail
            ? { id: row.inviterId, name: row.inviterName, email: row.inviterEmail }
            : null,
      }));
      return { invites: list, nextCursor };
    },

    /** Withdraws a pending invite; its token stops working at once. */
    revoke: (auth: AuthContext, inviteId: string): Promise<void> =>
      withOrg(db, auth.orgId, async (tx) => {
        await lockOrganisation(tx, auth.orgId);
        const [revoked] = await tx
          .update(invites)
          .set({ status: "REVOKED" })
          .where(and(eq(invites.id, inviteId), eq(invites.organisationId, auth.orgId), eq(invites.status, "PENDING")))
          .returning({ id: invites.id, email: invites.email });
        if (!revoked) throw new NotFoundError("Invite not found");
        await recordActivity(tx, auth, {
          type: "INVITE_REVOKED",
          payload: { inviteId: revoked.id, email: revoked.email, revokedBy: summaryOf(auth) },
        });
      }),

    /**
     * Joins the invite's organisation: as a new account, or as an existing one that proves
     * itself with its password. Returns tokens for the new membership, like a login.
     *
     * bcrypt runs before any lock is taken; the locked transaction then re-checks everything
     * it relied on, since another accept, a revoke or a registration may have won meanwhile.
     */
    async accept(input: AcceptInviteInput): Promise<AuthResult> {
      const tokenHash = hashInvite(input.token);
      const found = await withSystem(db, async (tx) => {
        const [invite] = await tx
          .select({ id: invites.id, organisationId: invites.organisationId, email: invites.email, status: invites.status, expiresAt: invites.expiresAt })
          .from(invites)
          .where(eq(invites.tokenHash, tokenHash));
        if (!invite) return undefined;
        const [account] = await tx
          .select({ id: users.id, name: users.name, email: users.email, passwordHash: users.passwordHash })
          .from(users)
          .where(sql`lower(${users.email}) = ${invite.email}`);
        return { invite, account };
      });
      assertAcceptable(found?.invite);
      const { invite, account } = found as NonNullable<typeof found>;
      const joiner = await proveJoiner(input, invite.email, account);

      return withSystem(db, async (tx) => {
        const seats = await lockSeats(tx, invite.organisationId);
        const [current] = await tx
          .select({ status: invites.status, expiresAt: invites.expiresAt, role: invites.role })
          .from(invites)
          .where(eq(invites.id, invite.id));
        assertAcceptable(current);

        let user: UserSummary;
        if (joiner.kind === "existing") {
          const [already] = await tx
            .select({ userId: memberships.userId })
            .from(memberships)
            .where(and(eq(memberships.organisationId, invite.organisationId), eq(memberships.userId, joiner.user.id)));
          if (already) throw new ConflictError("You are already a member of this organisation");
          user = joiner.user;
        } else {
          const [created] = await tx
            .insert(users)
            .values({ name: joiner.name, email: invite.email, passwordHash: joiner.passwordHash })
            .onConflictDoNothing()
            .returning({ id: users.id, name: users.name, email: users.email });
          if (!created) throw new ConflictError("An account with this email was just created; accept again with its password");
          user = created;
        }

        // This invite already holds its seat, so joining only converts it; the check guards
        // against anything that slipped past the invite-time limit.
        if (!hasRoomFor(seats.plan, seats.members + seats.pendingInvites - 1)) throw new LimitExceededError(planLimitMessage(seats.plan));

        await tx.insert(memberships).values({ organisationId: invite.organisationId, userId: user.id, role: current.role });
        await tx.update(invites).set({ status: "ACCEPTED" }).where(eq(invites.id, invite.id));
        await recordActivity(
          tx,
          { orgId: invite.organisationId, userId: user.id, name: user.name, email: user.email },
          { type: "USER_JOINED", payload: { userId: user.id, name: user.name, email: user.email, role: current.role }, target: user },
        );
        const tokens = await sessions.start(tx, { userId: user.id, orgId: invite.organisationId, role: current.role });
        const [organisation] = await tx
          .select({ id: organisations.id, name: organisations.name, slug: organisations.slug, subscriptionPlan: organisations.subscriptionPlan })
          .from(organisations)
          .where(eq(organisations.id, invite.organisationId));
        if (!organisation) throw new NotFoundError("Organisation not found");
        return { ...tokens, user: { ...user, role: current.role }, organisation };
      });
    },
  };
}
