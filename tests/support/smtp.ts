import { SMTPServer } from "smtp-server";

export type ReceivedMail = { from: string; to: string[]; subject: string; body: string; raw: string };

/** quoted-printable, as nodemailer writes long lines: soft breaks out, =XX back to bytes. */
const decodeQuotedPrintable = (text: string) =>
  Buffer.from(
    text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
    "latin1",
  ).toString("utf8");

/** A real SMTP server in this process, on `port` (default: a free one), keeping what it receives. */
export async function startSmtpReceiver(port = 0) {
  const received: ReceivedMail[] = [];
  const waiters = new Set<() => void>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS", "AUTH"],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      stream.on("end", () => {
        const raw = Buffer.concat(chunks).toString("utf8");
        const [head = "", ...rest] = raw.split(/\r?\n\r?\n/);
        const header = (name: string) => new RegExp(`^${name}: (.*)$`, "mi").exec(head)?.[1]?.trim() ?? "";
        const quoted = /quoted-printable/i.test(header("Content-Transfer-Encoding"));
        const text = rest.join("\n\n");
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : "",
          to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
          subject: header("Subject"),
          body: quoted ? decodeQuotedPrintable(text) : text,
          raw,
        });
        for (const wake of [...waiters]) wake();
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const bound = (server.server.address() as { port: number }).port;
  return {
    url: `smtp://127.0.0.1:${bound}`,
    port: bound,
    received,
    /** The first mail to `address` that matches, once it has arrived. */
    mailTo(address: string, matches: (mail: ReceivedMail) => boolean = () => true, timeoutMs = 5000) {
      return new Promise<ReceivedMail>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new Error(
              `no mail to ${address} within ${timeoutMs} ms; got ${JSON.stringify(received.map((mail) => [mail.to, mail.subject]))}`,
            ),
          );
        }, timeoutMs);
        const check = () => {
          const found = received.find((mail) => mail.to.includes(address) && matches(mail));
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type SmtpReceiver = Awaited<ReturnType<typeof startSmtpReceiver>>;

/** The token in a link of `body` to `path`, e.g. /reset-password?token=… */
export const tokenInLink = (body: string, path: string): string => {
  const match = new RegExp(`${path.replace(/[/?]/g, "\\$&")}\\?token=([^\\s]+)`).exec(body);
  if (!match?.[1]) throw new Error(`no ${path} link in: ${body}`);
  return decodeURIComponent(match[1]);
};
