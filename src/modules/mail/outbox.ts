import { and, count, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { CHANNELS } from "../../db/notifications.ts";
import { notify } from "../../db/notify.ts";
import { type OutboxKind, outbox } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import { createSealer } from "../../lib/sealed.ts";

export type Mail = { to: string; subject: string; body: string; organisationId?: string };

/**
 * The transactional outbox. What is queued leaves if and only if the change that caused it
 * commits, and a crash after the commit loses nothing (the row waits for a sender). A body is
 * sealed under a key derived from JWT_REFRESH_SECRET, which every instance shares: a dump of the
 * table shows no live link.
 */
export function createOutbox(secret: string) {
  const sealer = createSealer(secret, "outbox");
  return {
    /** Queues `mail` inside the caller's transaction. */
    async queue(tx: Tx, mail: Mail): Promise<void> {
      await tx.insert(outbox).values({
        kind: "mail",
        recipient: mail.to,
        subject: mail.subject,
        body: sealer.seal(mail.body),
        organisationId: mail.organisationId ?? null,
      });
      await notify(tx, CHANNELS.outbox, "");
    },

    /**
     * Queues a request for a mail of `kind` to `email` (a password-reset link, a verification
     * link), in one insert whether or not the email has an account: the sender resolves the
     * account, and mints the link, when it sends — so no live link waits here.
     */
    async queueRequest(tx: Tx, kind: Exclude<OutboxKind, "mail">, email: string): Promise<void> {
      await tx.insert(outbox).values({ kind, recipient: email });
      await notify(tx, CHANNELS.outbox, "");
    },

    seal: sealer.seal,
    /** A stored body as it was queued. Bodies queued before sealing existed are plain text. */
    open: (body: string) => (body.startsWith("v1.") ? sealer.open(body) : body),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;

/**
 * Queues mail that was set aside (after MAIL_RETRY_FOR of refusals) again, as if new: all of it,
 * or the ids given. Its retry clock starts over. Returns how many were queued.
 */
export async function requeueSetAside(db: Db, ids?: string[]): Promise<number> {
  return withSystem(db, async (tx) => {
    const requeued = await tx
      .update(outbox)
      .set({ failedAt: null, attempts: 0, lastError: null, nextAttemptAt: sql`now()`, queuedAt: sql`now()` })
      .where(and(isNull(outbox.sentAt), isNotNull(outbox.failedAt), ids ? inArray(outbox.id, ids) : undefined))
      .returning({ id: outbox.id });
    if (requeued.length > 0) await notify(tx, CHANNELS.outbox, "");
    return requeued.length;
  });
}

/** Mail waiting to leave, and mail set aside after MAIL_RETRY_FOR of failures (waiting for an operator). */
export async function outboxDepth(db: Db): Promise<{ waiting: number; setAside: number }> {
  return withSystem(db, async (tx) => {
    const [waiting] = await tx
      .select({ n: count() })
      .from(outbox)
      .where(and(isNull(outbox.sentAt), isNull(outbox.failedAt)));
    const [setAside] = await tx
      .select({ n: count() })
      .from(outbox)
      .where(and(isNull(outbox.sentAt), isNotNull(outbox.failedAt)));
    return { waiting: waiting?.n ?? 0, setAside: setAside?.n ?? 0 };
  });
}
