import { and, asc, eq, isNull, lte, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { outbox } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";
import type { MailTransport } from "./transports.ts";

export type OutboxSenderOptions = { pollMs?: number; maxAttempts?: number };

/** Seconds until the next try after `attempts` failures: 2, 4, 8… capped at an hour. */
const backoffSeconds = (attempts: number) => Math.min(3600, 2 ** attempts);

/**
 * Drains the outbox: one message per transaction, claimed with FOR UPDATE SKIP LOCKED and held
 * while the transport takes it, so two instances never send the same message at once. It is
 * marked sent only after the transport accepted it; a failure schedules a retry with backoff,
 * and after `maxAttempts` the message is set aside (failedAt) for an operator. Delivery is at
 * least once: a crash between the transport's acceptance and the commit sends it again (with
 * the same Message-ID).
 *
 * Woken by the outbox notification, and by a poll for retries coming due.
 */
export function createOutboxSender(
  { db, transport, logger, onFailure }: { db: Db; transport: MailTransport; logger: Logger; onFailure?: () => void },
  { pollMs = 5000, maxAttempts = 10 }: OutboxSenderOptions = {},
) {
  let stopped = false;
  let draining: Promise<void> | undefined;
  let wokenMeanwhile = false;
  let poller: ReturnType<typeof setInterval> | undefined;

  /** Sends the oldest due message; false when none is due (or every due one is claimed elsewhere). */
  const sendOne = (): Promise<boolean> =>
    withSystem(db, async (tx) => {
      const [mail] = await tx
        .select({ id: outbox.id, to: outbox.recipient, subject: outbox.subject, body: outbox.body, attempts: outbox.attempts })
        .from(outbox)
        .where(and(isNull(outbox.sentAt), isNull(outbox.failedAt), lte(outbox.nextAttemptAt, sql`now()`)))
        .orderBy(asc(outbox.nextAttemptAt))
        .limit(1)
        .for("update", { skipLocked: true });
      if (!mail) return false;
      const attempts = mail.attempts + 1;
      try {
        await transport.send(mail);
        await tx.update(outbox).set({ sentAt: sql`now()`, attempts, lastError: null }).where(eq(outbox.id, mail.id));
      } catch (error) {
        onFailure?.();
        const giveUp = attempts >= maxAttempts;
        const reason = error instanceof Error ? error.message : String(error);
        await tx
          .update(outbox)
          .set({
            attempts,
            lastError: reason.slice(0, 500),
            nextAttemptAt: sql`now() + make_interval(secs => ${backoffSeconds(attempts)})`,
            failedAt: giveUp ? sql`now()` : null,
          })
          .where(eq(outbox.id, mail.id));
        logger.warn(giveUp ? "mail could not be sent; giving up" : "mail could not be sent; will retry", {
          outboxId: mail.id,
          attempts,
          error: reason,
        });
      }
      return true;
    });

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
    draining = drain().finally(() => (draining = undefined));
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
    /** Resolves once nothing is being sent; what is still queued waits for the next instance. */
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
