import { and, eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Tx } from "../../db/client.ts";
import { billingNotices, billingSubscriptions, memberships, users } from "../../db/schema/index.ts";
import type { Logger } from "../../lib/logger.ts";
import type { PublicUrl } from "../../lib/public-url.ts";
import { type Mail, type Outbox, paymentFailedMail, trialEndingMail } from "../mail/index.ts";
import { graceUntil } from "./entitlements.ts";
import { atStripe } from "./stripe-client.ts";

/** "12.00 EUR", "1,200 JPY": the amount in the currency's own minor units. */
function formatAmount(minorUnits: number, currency: string): string {
  const code = currency.toUpperCase();
  const digits = new Intl.NumberFormat("en", { style: "currency", currency: code }).resolvedOptions().maximumFractionDigits ?? 2;
  return `${(minorUnits / 10 ** digits).toFixed(digits)} ${code}`;
}

type Deps = { stripe: Stripe; outbox: Outbox; links: PublicUrl; graceDays: number; logger: Logger };

/**
 * The mail billing sends to an organisation's ADMINs, through the outbox in the webhook's own
 * transaction, at most once per thing it is about (billing_notices), however often Stripe
 * delivers the event again.
 */
export function createBillingNotices({ stripe, outbox, links, graceDays, logger }: Deps) {
  /** Whether this notice is new (and now recorded). */
  async function firstTime(tx: Tx, organisationId: string, reference: string, kind: string): Promise<boolean> {
    const recorded = await tx
      .insert(billingNotices)
      .values({ organisationId, reference, kind })
      .onConflictDoNothing()
      .returning({ reference: billingNotices.reference });
    return recorded.length > 0;
  }

  async function toAdmins(tx: Tx, organisationId: string, mailFor: (to: string) => Mail) {
    const admins = await tx
      .select({ email: users.email })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.organisationId, organisationId), eq(memberships.role, "ADMIN")));
    for (const admin of admins) await outbox.queue(tx, mailFor(admin.email));
  }

  const standingOf = async (tx: Tx, organisationId: string) =>
    (await tx.select().from(billingSubscriptions).where(eq(billingSubscriptions.organisationId, organisationId)))[0];

  const billingLink = () => links.to("/billing");

  return {
    /** A payment failed: one notice per invoice, unless it was paid (or voided) before we heard. */
    async paymentFailed(tx: Tx, organisationId: string, invoiceId: string) {
      const invoice = await atStripe(logger, () => stripe.invoices.retrieve(invoiceId));
      if (invoice.status === "paid" || invoice.status === "void") return;
      if (!(await firstTime(tx, organisationId, invoiceId, "payment_failed"))) return;
      const standing = await standingOf(tx, organisationId);
      const amountDue = formatAmount(invoice.amount_due, invoice.currency);
      const until = standing ? graceUntil(standing, graceDays) : null;
      await toAdmins(tx, organisationId, (to) =>
        paymentFailedMail({ to, organisationId, amountDue, graceUntil: until, billingLink: billingLink() }),
      );
    },

    /** A trial ends in a few days: one reminder per subscription and trial end, if it is still trialing. */
    async trialEnding(tx: Tx, organisationId: string) {
      const standing = await standingOf(tx, organisationId);
      if (standing?.status !== "trialing" || !standing.trialEnd) return;
      const trialEnd = standing.trialEnd;
      if (!(await firstTime(tx, organisationId, `${standing.subscriptionId}:${trialEnd.toISOString()}`, "trial_will_end"))) return;
      await toAdmins(tx, organisationId, (to) => trialEndingMail({ to, organisationId, trialEnd, billingLink: billingLink() }));
    },
  };
}

export type BillingNotices = ReturnType<typeof createBillingNotices>;
