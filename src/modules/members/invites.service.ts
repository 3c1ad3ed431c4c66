import { and, eq, lte, sql } from "drizzle-orm";
import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import { invites, memberships, organisations, users } from "../../db/schema/index.ts";
import { sameEmail } from "../../db/sql.ts";
import { withOrg } from "../../db/tenant.ts";
import { runRead } from "../../db/tenant-calls.ts";
import type { AttemptLimiter } from "../../lib/attempts.ts";
import type { AuthContext } from "../../lib/auth-context.ts";
import { cutPage, decodeTimeKey, encodeTimeKey } from "../../lib/cursor.ts";
import { ConflictError, LimitExceededError, NotFoundError } from "../../lib/errors.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import type { PageInput } from "../../lib/schemas.ts";
import { generateToken } from "../../lib/tokens.ts";
import { recordActivity, summaryOf } from "../activity/index.ts";
import { createOutbox, inviteMail } from "../mail/index.ts";
import { hasRoomFor, lockOrganisation, lockSeats, seatLimitMessage } from "../organisations/index.ts";
import { inviteTokenHasher } from "./invite-tokens.ts";
import { type PendingInviteRow, pendingInvitesPageRead } from "./members.reads.ts";
import type { CreatedInvite, Invite, InviteInput } from "./members.schemas.ts";

type Deps = {
  db: Db;
  config: Config;
  links: PublicUrl;
  /** Invitation emails per recipient address per hour, from every organisation together. */
  inviteEmails: AttemptLimiter;
  /** Invitations per organisation per day. */
  organisationInvites: AttemptLimiter;
};

/** Inviting, listing and withdrawing invites; accepting one is accept-invite.service.ts. */
export function createInviteService({ db, config, links, inviteEmails, organisationInvites }: Deps) {
  const hashInvite = inviteTokenHasher(config);
  const outbox = createOutbox(config.JWT_REFRESH_SECRET);

  return {
    /**
     * Invites `email` with `role`. Under the organisation lock: not already a member, no other
     * pending invite, and a free seat on the plan — members plus pending invites never exceed it.
     * The invitation email is queued in the same transaction; the token is also returned once.
     *
     * Two budgets keep invitations from becoming an inbox flood or a relay: an address gets a few
     * invitation emails an hour whoever sends them (shared by every instance, like the reset
     * budget), and an organisation sends a bounded number a day. Either spent is a 429.
     */
    invite: (auth: AuthContext, { email, role }: InviteInput): Promise<CreatedInvite> =>
      withOrg(db, auth.orgId, async (tx) => {
        const seats = await lockSeats(tx, auth.orgId);
        const [member] = await tx
          .select({ id: users.id })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(and(eq(memberships.organisationId, auth.orgId), sameEmail(users.email, email)));
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

        if (!hasRoomFor(seats.plan, seats.members + seats.pendingInvites)) throw new LimitExceededError(seatLimitMessage(seats.plan));
        await organisationInvites.take(auth.orgId, "This organisation has sent as many invitations as it may today");
        await inviteEmails.take(email, "This address has been sent too many invitations recently");

        const token = generateToken();
        const [invite] = await tx
          .insert(invites)
          .values({
            organisationId: auth.orgId,
            email,
            role,
            tokenHash: hashInvite(token),
            invitedBy: auth.userId,
            expiresAt: new Date(Date.now() + config.INVITE_EXPIRES_IN * 1000),
          })
          .returning({ id: invites.id, expiresAt: invites.expiresAt });
        if (!invite) throw new Error("invite insert returned no row");
        const [organisation] = await tx.select({ name: organisations.name }).from(organisations).where(eq(organisations.id, auth.orgId));
        await outbox.queue(
          tx,
          inviteMail({
            to: email,
            organisationId: auth.orgId,
            organisationName: organisation?.name ?? "an organisation",
            inviterName: auth.name,
            role,
            link: links.to("/accept-invite", { token }),
          }),
        );
        await recordActivity(tx, auth, {
          type: "INVITE_SENT",
          payload: { inviteId: invite.id, email, role, invitedBy: summaryOf(auth) },
        });
        return { id: invite.id, email, role, expiresAt: invite.expiresAt.toISOString(), token };
      }),

    /** Invites still pending, oldest first, keyset-paginated. Never their tokens. */
    async listPending(auth: AuthContext, { limit, cursor }: PageInput) {
      const after = cursor ? decodeTimeKey(cursor) : undefined;
      const rows = await runRead<PendingInviteRow>(db, pendingInvitesPageRead, [
        auth.orgId,
        limit,
        after?.at.toISOString() ?? null,
        after?.id ?? null,
      ]);
      const { items, nextCursor } = cutPage(rows, limit, (last) => encodeTimeKey({ at: last.created_at, id: last.id }));
      const list: Invite[] = items.map((row) => ({
        id: row.id,
        email: row.email,
        role: row.role,
        expiresAt: row.expires_at.toISOString(),
        invitedBy: row.inviter,
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
  };
}
