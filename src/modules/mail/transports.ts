import nodemailer from "nodemailer";

export type OutgoingMail = { id: string; to: string; subject: string; body: string };

/** Hands a message over; resolves once the far side has accepted it, rejects otherwise. */
export type MailTransport = { name: string; send(mail: OutgoingMail): Promise<void>; close(): void };

/** SMTP through nodemailer (`smtp://user:pass@host:port`, `smtps://…` for implicit TLS). */
export function smtpTransport(url: string, from: string): MailTransport {
  // Shorter than nodemailer's minutes-long defaults: the outbox retries, and a hung server must
  // not hold a claimed message for long.
  const transporter = nodemailer.createTransport({ url, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 });
  return {
    name: `SMTP at ${new URL(url).host}`,
    async send(mail) {
      // The outbox id as Message-ID: a message sent twice (at-least-once) is recognisably one.
      await transporter.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.body, messageId: `<${mail.id}@outbox>` });
    },
    close: () => transporter.close(),
  };
}

export type DevMailbox = MailTransport & { messages(): Array<OutgoingMail & { at: string }> };

/** Development without SMTP: messages are kept in memory (the newest 200) for GET /dev/mailbox. */
export function devMailbox(keep = 200): DevMailbox {
  const kept: Array<OutgoingMail & { at: string }> = [];
  return {
    name: "the development mailbox (GET /dev/mailbox)",
    async send(mail) {
      kept.unshift({ ...mail, at: new Date().toISOString() });
      kept.length = Math.min(kept.length, keep);
    },
    close() {},
    messages: () => [...kept],
  };
}
