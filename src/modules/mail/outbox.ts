import { and, count, isNull } from "drizzle-orm";
import type { Db, Tx } from "../../db/client.ts";
import { CHANNELS } from "../../db/notifications.ts";
import { notify } from "../../db/notify.ts";
import { outbox } from "../../db/schema/index.ts";
import { withSystem } from "../../db/tenant.ts";

export type Mail = { to: string; subject: string; body: string; organisationId?: string };

/**
 * Queues `mail` inside the caller's transaction: it leaves if and only if the change that
 * caused it commits, and a crash after the commit loses nothing (the row waits for a sender).
 */
export async function queueMail(tx: Tx, mail: Mail): Promise<void> {
  await tx
    .insert(outbox)
    .values({ recipient: mail.to, subject: mail.subject, body: mail.body, organisationId: mail.organisationId ?? null });
  await notify(tx, CHANNELS.outbox, "");
}

/** Mail waiting to leave (not sent, not given up on). */
export async function outboxDepth(db: Db): Promise<number> {
  const [row] = await withSystem(db, (tx) =>
    tx
      .select({ waiting: count() })
      .from(outbox)
      .where(and(isNull(outbox.sentAt), isNull(outbox.failedAt))),
  );
  return row?.waiting ?? 0;
}
