import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { type OutboxKind, outbox } from "../../db/schema/index.ts";
import { queryRows } from "../../db/sql.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Mail, Outbox } from "./outbox.ts";
import type { MailTransport, OutgoingMail } from "./transports.ts";

/** Composes the mail a request of `kind` asks for, at send time; null when there is nothing to send (no such account). */
export type ResolveMail = (tx: Tx, recipient: string) => Promise<Mail | null>;

export type OutboxSenderOptions = {
  pollMs?: number;
  /** MAIL_RETRY_FOR: how long a mail is retried before it is set aside. */
  retryForSeconds?: number;
  /** How long a claim holds: longer than any send takes (the SMTP transport gives up after 50 s). */
  leaseSeconds?: number;
  /** The most a retry waits: a relay that comes back is used within minutes. */
  maxBackoffSeconds?: number;
};

type Deps = {
  db: Db;
  outbox: Outbox;
  transport: MailTransport;
  logger: Logger;
  /** How each kind of request other than ready mail is composed (a password reset: by the account module). */
  resolvers: Partial<Record<OutboxKind, ResolveMail>>;
  onFailure?: () => void;
};

type Claimed = { id: string; kind: OutboxKind; recipient: string; subject: string | null; body: string | null; attempts: number };

/**
 * Drains the outbox. Each mail is claimed in a transaction of its own that commits a lease
 * (`claimed_by`, `claimed_until`), then sent with no transaction open, then marked sent by the
 * claimer only. So a sender whose database connection dies mid-send does not release the mail
 * to another sender: nobody else may take it before the lease runs out.
 *
 * Delivery is at least once, with the outbox id as Message-ID. A mail can go twice only when a
 * send outlasts its lease (longer than the transport's own timeouts), or when an instance dies
 * after the relay accepted the mail and before it could record that.
 *
 * A failure is retried with backoff (2, 4, 8… s, at most maxBackoffSeconds) until MAIL_RETRY_FOR
 * after it was queued, then set aside (failedAt) for an operator to queue again. Woken by the
 * outbox notification, and by a poll for retries coming due.
 */
export function createOutboxSender(
  { db, outbox: box, transport, logger, resolvers, onFailure }: Deps,
  { pollMs = 5000, retryForSeconds = 86_400, leaseSeconds = 120, maxBackoffSeconds = 300 }: OutboxSenderOptions = {},
) {
  const me = randomUUID();
  let stopped = false;
  let draining: Promise<void> | undefined;
  let wokenMeanwhile = false;
  let poller: ReturnType<typeof setInterval> | undefined;

  /** Takes the oldest due mail nobody holds, with a lease committed at once. */
  const claim = () =>
    withSystem(db, async (tx) => {
      const [row] = await queryRows<Claimed>(
        tx,
        sql`update outbox set claimed_by = ${me}, claimed_until = now() + make_interval(secs => ${leaseSeconds})
            where id = (
              select id from outbox
              where sent_at is null and failed_at is null and next_attempt_at <= now()
                and (claimed_until is null or claimed_until < now())
              order by next_attempt_at limit 1
              for update skip locked)
            returning id, kind, recipient, subject, body, attempts`,
      );
      return row;
    });

  const mine = (id: string) => and(eq(outbox.id, id), eq(outbox.claimedBy, me));
  const released = { claimedBy: null, claimedUntil: null };

  /** The mail to send for `row`: as queued, or composed now for a request (and kept sealed until sent). */
  async function compose(row: Claimed): Promise<OutgoingMail | null> {
    if (row.body !== null) return { id: row.id, to: row.recipient, subject: row.subject ?? "", body: box.open(row.body) };
    const resolve = resolvers[row.kind];
    if (!resolve) throw new Error(`no resolver for outbox kind ${row.kind}`);
    return withSystem(db, async (tx) => {
      const mail = await resolve(tx, row.recipient);
      if (!mail) {
        // Nothing to send (no such account): done, exactly as if sent, so the answer never differed.
        await tx
          .update(outbox)
          .set({ sentAt: sql`now()`, ...released })
          .where(mine(row.id));
        return null;
      }
      await tx
        .update(outbox)
        .set({ recipient: mail.to, subject: mail.subject, body: box.seal(mail.body) })
        .where(mine(row.id));
      return { id: row.id, to: mail.to, subject: mail.subject, body: mail.body };
    });
  }

  async function recordFailure(row: Claimed, error: unknown) {
    onFailure?.();
    const attempts = row.attempts + 1;
    const reason = error instanceof Error ? error.message : String(error);
    const backoff = Math.min(maxBackoffSeconds, 2 ** attempts);
    const [marked] = await withSystem(db, (tx) =>
      tx
        .update(outbox)
        .set({
          attempts,
          lastError: reason.slice(0, 500),
          nextAttemptAt: sql`now() + make_interval(secs => ${backoff})`,
          failedAt: sql`case when now() > ${outbox.queuedAt} + make_interval(secs => ${retryForSeconds}) then now() end`,
          ...released,
        })
        .where(mine(row.id))
        .returning({ failedAt: outbox.failedAt }),
    );
    const setAside = Boolean(marked?.failedAt);
    logger.warn(setAside ? "mail could not be sent; set aside for an operator" : "mail could not be sent; will retry", {
      outboxId: row.id,
      attempts,
      error: reason,
    });
  }

  /** Sends the oldest due mail; false when none is due (or every due one is claimed elsewhere). */
  async function sendOne(): Promise<boolean> {
    const row = await claim();
    if (!row) return false;
    let mail: OutgoingMail | null;
    try {
      mail = await compose(row);
      if (!mail) return true;
      await transport.send(mail);
    } catch (error) {
      await recordFailure(row, error);
      return true;
    }
    await withSystem(db, (tx) =>
      tx
        .update(outbox)
        .set({ sentAt: sql`now()`, attempts: row.attempts + 1, lastError: null, body: null, ...released })
        .where(mine(row.id)),
    );
    return true;
  }

  async function drain() {
    do {
      wokenMeanwhile = false;
      try {
        while (!stopped && (await sendOne()));
      } catch (error) {
        logger.warn("outbox unavailable; will try again", { error: error instanceof Error ? error.message : String(error) });
      }
    } while (wokenMeanwhile && !stopped);
  }

  const wake = () => {
    if (stopped) return;
    if (draining) {
      wokenMeanwhile = true;
      return;
    }
    draining = drain().finally(() => {
      draining = undefined;
    });
  };

  return {
    transport: transport.name,
    /** Something was queued (here or on another instance). */
    wake,
    start() {
      poller = setInterval(wake, pollMs);
      poller.unref();
      wake();
    },
    /** Resolves once nothing is being sent; what is still queued waits in the table for the next sender. */
    async stop() {
      stopped = true;
      clearInterval(poller);
      await draining;
      transport.close();
    },
    /** Sends what is due now and resolves when done (for tests and shutdown). */
    async flush() {
      wake();
      while (draining) await draining;
    },
  };
}

export type OutboxSender = ReturnType<typeof createOutboxSender>;
