// The mail module: the transactional outbox, its sender and the transports.
export { inviteMail, passwordResetMail } from "./messages.ts";
export { mailboxPage } from "./mailbox.page.ts";
export { type Mail, OUTBOX_CHANNEL, outboxDepth, queueMail } from "./outbox.ts";
export { createOutboxSender, type OutboxSender } from "./sender.ts";
export { type DevMailbox, devMailbox, type MailTransport, smtpTransport } from "./transports.ts";
