import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createTransport } from "nodemailer";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";

/** One mail, ready to go: every mail has a plain-text part (holding any link whole) and an HTML part. */
export interface OutgoingMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** Hands one mail to its destination; rejects when it was not accepted. */
export interface MailTransport {
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * Bounds on one SMTP exchange, well inside the worker's claim on a mail (see MAIL_LEASE_MS), so a
 * hung server can never let a second worker send the same mail while the first is still waiting.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as const;

/**
 * SMTP through nodemailer when SMTP_URL is set (STARTTLS whenever the server offers it); otherwise,
 * outside production (where config refuses a missing SMTP_URL), each mail is written as an .eml
 * file under `dropDir` and only the file's name is logged, never the link inside.
 */
export function createMailTransport(settings: Config["mail"], logger: Logger): MailTransport {
  if (settings.smtpUrl !== undefined) {
    const smtp = createTransport({ url: settings.smtpUrl, ...SMTP_TIMEOUTS, logger: false, debug: false }, { from: settings.from });
    return {
      async send(mail) {
        await smtp.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      },
      close: () => smtp.close(),
    };
  }
  const files = createTransport({ streamTransport: true, buffer: true, newline: "unix" }, { from: settings.from });
  return {
    async send(mail) {
      const info = await files.sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      // The mail holds live links: readable by the owner only, like the development secrets.
      mkdirSync(settings.dropDir, { recursive: true, mode: 0o700 });
      const file = join(settings.dropDir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600, flag: "wx" });
      logger.info({ file }, "mail written to a file (no SMTP_URL set)");
    },
    close: () => files.close(),
  };
}
