import { and, eq, sql } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { createLeasedQueue, type LeasedQueueOptions } from "../../db/leased-queue.ts";
import { type OutboxKind, outbox } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Mail, Outbox } from "./outbox.ts";
import type { MailTransport, OutgoingMail } from "./transports.ts";

/** Composes the mail a request of `kind` asks for, at send time; null when there is nothing to send (no such account). */
export type ResolveMail = (tx: Tx, recipient: string) => Promise<Mail | null>;

/** retryForSeconds is MAIL_RETRY_FOR; a lease must outlast any send (the SMTP transport gives up after 50 s). */
export type OutboxSenderOptions = LeasedQueueOptions;

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
 * Drains the outbox through the leased queue (db/leased-queue.ts): each mail is claimed with a
 * committed lease, sent with no transaction open, and marked sent — its body cleared — by the
 * claimer only. Delivery is at least once, with the outbox id as Message-ID.
 */
export function createOutboxSender({ db, outbox: box, transport, logger, resolvers, onFailure }: Deps, options: OutboxSenderOptions = {}) {
  /** The mail to send for `row`: as queued, or composed now for a request (and kept sealed until sent). */
  async function compose(row: Claimed, holder: string): Promise<OutgoingMail | null> {
    if (row.body !== null) return { id: row.id, to: row.recipient, subject: row.subject ?? "", body: box.open(row.body) };
    const resolve = resolvers[row.kind];
    if (!resolve) throw new Error(`no resolver for outbox kind ${row.kind}`);
    return withSystem(db, async (tx) => {
      const mail = await resolve(tx, row.recipient);
      // Nothing to send (no such account): done, exactly as if sent, so the answer never differed.
      if (!mail) return null;
      await tx
        .update(outbox)
        .set({ recipient: mail.to, subject: mail.subject, body: box.seal(mail.body) })
        .where(and(eq(outbox.id, row.id), eq(outbox.claimedBy, holder)));
      return { id: row.id, to: mail.to, subject: mail.subject, body: mail.body };
    });
  }

  const queue = createLeasedQueue<Claimed>(
    {
      db,
      logger,
      table: { name: "outbox", doneColumn: "sent_at", returning: "id, kind, recipient, subject, body, attempts" },
      failure: "mail could not be sent",
      work: async (row, holder) => {
        const mail = await compose(row, holder);
        if (mail) await transport.send(mail);
      },
      alsoOnDone: sql`body = null`,
      onFailure,
    },
    options,
  );

  return {
    transport: transport.name,
    wake: queue.wake,
    start: queue.start,
    /** Resolves once nothing is being sent; what is still queued waits in the table for the next sender. */
    async stop() {
      await queue.stop();
      transport.close();
    },
    flush: queue.flush,
  };
}

export type OutboxSender = ReturnType<typeof createOutboxSender>;
