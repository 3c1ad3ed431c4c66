import type { Mail } from "./outbox.ts";

// The product's emails, as plain text. A token appears only inside its link.

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
  subject: `${inviterName} invited you to ${organisationName}`,
  body: [
    `${inviterName} invited you to join ${organisationName} as ${role}.`,
    "",
    `Accept the invitation: ${link}`,
    "",
    "If you were not expecting this, ignore this email: nothing happens unless you open the link.",
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
