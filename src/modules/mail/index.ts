// The mail module: the transactional outbox, its sender and the transports.
export { createMailDelivery, type MailDelivery } from "./delivery.ts";
export { mailboxPage } from "./mailbox.page.ts";
export {
  inviteMail,
  passwordResetMail,
  paymentFailedMail,
  trialEndingMail,
  twoFactorDisabledMail,
  verificationMail,
} from "./messages.ts";
export { createOutbox, type Mail, type Outbox, outboxDepth, requeueSetAside } from "./outbox.ts";
export { createOutboxSender, type OutboxSender, type ResolveMail } from "./sender.ts";
export { type DevMailbox, devMailbox, type MailTransport } from "./transports.ts";
