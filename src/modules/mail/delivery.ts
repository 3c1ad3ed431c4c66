import type { Config } from "../../config/env.ts";
import type { Db } from "../../db/client.ts";
import type { Logger } from "../../lib/logger.ts";
import type { Metrics } from "../../lib/metrics.ts";
import { createOutbox } from "./outbox.ts";
import { createOutboxSender, type ResolveMail } from "./sender.ts";
import { devMailbox, smtpTransport } from "./transports.ts";

/**
 * How this instance's mail leaves: through SMTP when SMTP_URL is set; in development without
 * it, into the dev mailbox (GET /dev/mailbox). In production without SMTP it waits in the
 * outbox — queued, not lost — until an instance with SMTP_URL starts.
 */
export function createMailDelivery(
  db: Db,
  config: Config,
  logger: Logger,
  metrics: Metrics,
  resolvers: { password_reset: ResolveMail; email_verification: ResolveMail },
) {
  const mailbox = !config.SMTP_URL && config.NODE_ENV !== "production" ? devMailbox() : undefined;
  const transport = config.SMTP_URL ? smtpTransport(config.SMTP_URL, config.MAIL_FROM) : mailbox;
  if (!transport) logger.warn("mail: SMTP_URL is not set; emails wait in the outbox until it is");
  else logger.info(`mail: sent through ${transport.name}`);
  const sender = transport
    ? createOutboxSender(
        {
          db,
          outbox: createOutbox(config.JWT_REFRESH_SECRET),
          transport,
          logger,
          resolvers,
          onFailure: () => metrics.outboxFailures.inc(),
        },
        { retryForSeconds: config.MAIL_RETRY_FOR },
      )
    : undefined;
  return { mailbox, sender };
}

export type MailDelivery = ReturnType<typeof createMailDelivery>;
