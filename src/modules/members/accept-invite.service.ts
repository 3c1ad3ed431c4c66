import { and, eq, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db, Tx } from "../../db/client.ts";
import { invites, memberships, organisations, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { ClientOrigin } from "../../lib/auth-context.ts";
import { ConflictError, ForbiddenError, LimitExceededError, NotFoundError, UnauthorizedError } from "../../lib/errors.ts";
import type { PasswordHasher } from "../../lib/passwords.ts";
import type { AuthResult, SecondStep } from "../../lib/schemas.ts";
import type { UserSummary } from "../../lib/vocabulary.ts";
import { recordActivity } from "../activity/index.ts";
import type { SecondSteps } from "../factors/index.ts";
import { hasRoomFor, lockSeats, organisationSummaryColumns, seatLimitMessage } from "../organisations/index.ts";
import type { Proof, SessionService } from "../sessions/index.ts";
import { assertAcceptable, inviteTokenHasher } from "./invite-tokens.ts";
import type { AcceptInviteInput } from "./members.schemas.ts";

type Deps = {
  db: Db;
  config: Config;
  passwords: PasswordHasher;
  attempts: AttemptLimiter;
  sessions: SessionService;
  secondSteps: Pick<SecondSteps, "demand">;
};

type FoundInvite = { id: string; organisationId: string; email: string };
type Account = UserSummary & { passwordHash: string };
/** Who is joining: an account that proved itself, or one to create. */
type Joiner = { kind: "existing"; user: UserSummary; passwordHash: string } | { kind: "new"; name: string; passwordHash: string };

const JOIN_REFUSED = "Could not join: give the password of the invited email's account, or a name and a new password to create one";

/**
 * Accepting an invite: as a new account, or as an existing one that proves itself with its
 * password. It runs in two steps on purpose — the invite and account are read, bcrypt runs with
 * no lock held, then one locked transaction re-checks everything it relied on (another accept, a
 * revoke or a registration may have won meanwhile) and joins. Holding the organisation lock
 * through a bcrypt would queue every invite of the organisation behind it.
 */
export function createAcceptInviteService({ db, config, passwords, attempts, sessions, secondSteps }: Deps) {
  const hashInvite = inviteTokenHasher(config);

  /** The invite behind `token` if it can still be accepted, and the invited email's account if there is one. */
  const findInvite = (token: string) =>
    withSystem(db, async (tx) => {
      const [invite] = await tx
        .select({
          id: invites.id,
          organisationId: invites.organisationId,
          email: invites.email,
          status: invites.status,
          expiresAt: invites.expiresAt,
        })
        .from(invites)
        .where(eq(invites.tokenHash, hashInvite(token)));
      assertAcceptable(invite);
      const [account] = await tx
        .select({ id: users.id, name: users.name, email: users.email, passwordHash: users.passwordHash })
        .from(users)
        .where(sameEmail(users.email, invite.email));
      return { invite, account };
    });

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
    if (!proven) throw new UnauthorizedError(JOIN_REFUSED, "INVALID_CREDENTIALS");
    if (account)
      return { kind: "existing", user: { id: account.id, name: account.name, email: account.email }, passwordHash: account.passwordHash };
    return { kind: "new", name: input.name as string, passwordHash: await passwords.hash(input.password) };
  }

  /** The account that joins: the proven one (not yet a member), or a new one (unless the email was just taken). */
  async function joiningUser(tx: Tx, invite: FoundInvite, joiner: Joiner): Promise<UserSummary> {
    if (joiner.kind === "existing") {
      const [already] = await tx
        .select({ userId: memberships.userId })
        .from(memberships)
        .where(and(eq(memberships.organisationId, invite.organisationId), eq(memberships.userId, joiner.user.id)));
      if (already) throw new ConflictError("You are already a member of this organisation");
      return joiner.user;
    }
    const [created] = await tx
      .insert(users)
      .values({ name: joiner.name, email: invite.email, passwordHash: joiner.passwordHash })
      .onConflictDoNothing()
      .returning({ id: users.id, name: users.name, email: users.email });
    if (!created) throw new ConflictError("An account with this email was just created; accept again with its password");
    return created;
  }

  /** Joins under the organisation lock, after re-checking the invite; returns tokens like a login. */
  const join = (invite: FoundInvite, joiner: Joiner, origin: ClientOrigin): Promise<AuthResult | SecondStep> =>
    withSystem(db, async (tx) => {
      const seats = await lockSeats(tx, invite.organisationId);
      const [target] = await tx
        .select({ suspendedAt: organisations.suspendedAt })
        .from(organisations)
        .where(eq(organisations.id, invite.organisationId));
      if (target?.suspendedAt)
        throw new ForbiddenError("This organisation is suspended: its invitations cannot be accepted", "ORGANISATION_SUSPENDED");
      const [current] = await tx
        .select({ status: invites.status, expiresAt: invites.expiresAt, role: invites.role })
        .from(invites)
        .where(eq(invites.id, invite.id));
      assertAcceptable(current);
      const user = await joiningUser(tx, invite, joiner);

      // This invite already holds its seat, so joining only converts it; the check guards
      // against anything that slipped past the invite-time limit.
      if (!hasRoomFor(seats.plan, seats.members + seats.pendingInvites - 1)) throw new LimitExceededError(seatLimitMessage(seats.plan));

      await tx.insert(memberships).values({ organisationId: invite.organisationId, userId: user.id, role: current.role });
      // The invitation's token came by email to this address: whoever holds it reads that inbox.
      await tx
        .update(users)
        .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())` })
        .where(eq(users.id, user.id));
      await tx.update(invites).set({ status: "ACCEPTED" }).where(eq(invites.id, invite.id));
      await recordActivity(
        tx,
        { orgId: invite.organisationId, userId: user.id, name: user.name, email: user.email, origin },
        { type: "USER_JOINED", payload: { userId: user.id, name: user.name, email: user.email, role: current.role }, target: user },
      );
      // An existing account with a second factor joins, and signs in through its second step (bound to this organisation).
      if (joiner.kind === "existing") {
        const step = await secondSteps.demand(tx, {
          userId: user.id,
          organisationId: invite.organisationId,
          passwordHash: joiner.passwordHash,
        });
        if (step) return step;
      }
      // An existing account proved its password before this transaction: the session opens only if it is still that password.
      const proof: Proof = joiner.kind === "existing" ? { kind: "password", passwordHash: joiner.passwordHash } : { kind: "new-account" };
      const tokens = await sessions.start(tx, { userId: user.id, orgId: invite.organisationId, role: current.role }, origin, proof);
      const [organisation] = await tx
        .select(organisationSummaryColumns)
        .from(organisations)
        .where(eq(organisations.id, invite.organisationId));
      if (!organisation) throw new NotFoundError("Organisation not found");
      return { ...tokens, user: { ...user, role: current.role }, organisation };
    });

  return {
    /** Joins the invite's organisation and signs in to it. */
    async accept(input: AcceptInviteInput, origin: ClientOrigin): Promise<AuthResult | SecondStep> {
      const { invite, account } = await findInvite(input.token);
      const joiner = await proveJoiner(input, invite.email, account);
      return join(invite, joiner, origin);
    },
  };
}
