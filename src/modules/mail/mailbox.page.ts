import type { DevMailbox } from "./transports.ts";

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** GET /dev/mailbox: what the development mailbox received, newest first (never in production). */
export function mailboxPage(mailbox: DevMailbox): string {
  const messages = mailbox.messages();
  const items = messages
    .map(
      (
        mail,
      ) => `<article><header><strong>${escapeHtml(mail.subject)}</strong><br>to ${escapeHtml(mail.to)} · ${escapeHtml(mail.at)}</header>
<pre>${escapeHtml(mail.body).replace(/(https?:\/\/[^\s<]+)/g, '<a href="$1">$1</a>')}</pre></article>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Development mailbox</title>
<style>body{font:14px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:860px;padding:0 1rem}
article{border:1px solid #d0d7de;border-radius:6px;margin:1rem 0;padding:.8rem}pre{white-space:pre-wrap}</style>
</head><body><h1>Development mailbox</h1>
<p>Mail the API sent while no <code>SMTP_URL</code> is set (newest first, kept in memory). Never served in production.</p>
${items || "<p>Nothing yet.</p>"}
</body></html>`;
}
