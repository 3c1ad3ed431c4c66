import type { Mail } from "./outbox.ts";

// The product's emails, as plain text. A token appears only inside its link. Text an
// organisation chose (its name, its members' names) never reaches a subject line, and in a body
// it is quoted and said to be theirs: an invitation cannot be worded by an attacker as ours.

export const inviteMail = ({
  to,
  organisationName,
  inviterName,
  role,
  link,
  organisationId,
}: {
  to: string;
  organisationName: string;
  inviterName: string;
  role: string;
  link: string;
  organisationId: string;
}): Mail => ({
  to,
  organisationId,
  subject: "You have been invited to join an organisation",
  body: [
    `You have been invited to join an organisation as ${role}.`,
    "",
    `  Organisation: "${organisationName}"`,
    `  Invited by:   "${inviterName}"`,
    "(Both names are chosen by that organisation's members, not by us.)",
    "",
    `Accept the invitation: ${link}`,
    "",
    "If you were not expecting this, ignore this email: nothing happens unless you open the link.",
  ].join("\n"),
});

export const verificationMail = ({ to, link, hours }: { to: string; link: string; hours: number }): Mail => ({
  to,
  subject: "Confirm your email address",
  body: [
    "Confirm that this address is yours:",
    "",
    link,
    "",
    `The link works once and expires in ${hours} hours. If you did not sign up, ignore this email.`,
  ].join("\n"),
});

export const passwordResetMail = ({ to, link, minutes }: { to: string; link: string; minutes: number }): Mail => ({
  to,
  subject: "Reset your password",
  body: [
    "Someone (we hope you) asked to reset the password of this account.",
    "",
    `Choose a new password: ${link}`,
    "",
    `The link works once and expires in ${minutes} minutes. If you did not ask, ignore this email: your password stays as it is.`,
  ].join("\n"),
});

const day = (at: Date) => at.toISOString().slice(0, 10);

export const paymentFailedMail = ({
  to,
  organisationId,
  amountDue,
  graceUntil,
  billingLink,
}: {
  to: string;
  organisationId: string;
  /** "12.00 EUR" */
  amountDue: string;
  graceUntil: Date | null;
  billingLink: string;
}): Mail => ({
  to,
  organisationId,
  subject: "A payment for your subscription failed",
  body: [
    `We could not collect ${amountDue} for your organisation's subscription.`,
    "",
    graceUntil
      ? `Your plan stays as it is until ${day(graceUntil)}; after that the organisation moves to the FREE plan unless the payment succeeds.`
      : "The payment will be retried.",
    "",
    `Update the payment method: ${billingLink}`,
  ].join("\n"),
});

export const trialEndingMail = ({
  to,
  organisationId,
  trialEnd,
  billingLink,
}: {
  to: string;
  organisationId: string;
  trialEnd: Date;
  billingLink: string;
}): Mail => ({
  to,
  organisationId,
  subject: "Your trial ends soon",
  body: [
    `Your organisation's trial ends on ${day(trialEnd)}. The subscription then continues on the payment method on file.`,
    "",
    `Review it, or cancel before then: ${billingLink}`,
  ].join("\n"),
});

export const twoFactorDisabledMail = ({ to }: { to: string }): Mail => ({
  to,
  subject: "Two-factor codes were turned off",
  body: [
    "Two-factor codes (from an authenticator app) were just turned off for your account.",
    "",
    "If that was you, nothing else to do. If not, reset your password now and turn them back on:",
    "whoever did it knew your password and had your codes or a recovery code.",
  ].join("\n"),
});
