// The mail module: the transactional outbox, its sender and the transports.
export { createMailDelivery, type MailDelivery } from "./delivery.ts";
export { mailboxPage } from "./mailbox.page.ts";
export { inviteMail, passwordResetMail } from "./messages.ts";
export { type Mail, outboxDepth, queueMail } from "./outbox.ts";
export { createOutboxSender, type OutboxSender } from "./sender.ts";
export { type DevMailbox, devMailbox, type MailTransport } from "./transports.ts";
