import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Transporter } from "nodemailer";
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
  return settings.smtpUrl !== undefined ? smtpTransport(settings.smtpUrl, settings.from) : fileTransport(settings, logger);
}

/**
 * A nodemailer transporter made when the first mail goes, not at start: nodemailer is ~2 MB of
 * heap that an instance sending no mail (one serving only tokens) never needs to hold (issue 8:
 * the idle heap sets the peak RSS).
 */
function openedOnFirstMail<T>(open: (nodemailer: typeof import("nodemailer")) => T): {
  get(): Promise<T>;
  ifOpened(): Promise<T> | undefined;
} {
  let opened: Promise<T> | undefined;
  return {
    get: () => (opened ??= import("nodemailer").then(open)),
    ifOpened: () => opened,
  };
}

function smtpTransport(url: string, from: string): MailTransport {
  const smtp = openedOnFirstMail(({ createTransport }) =>
    createTransport({ url, ...SMTP_TIMEOUTS, logger: false, debug: false }, { from }),
  );
  return {
    async send(mail) {
      await (await smtp.get()).sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
    },
    close: () => void smtp.ifOpened()?.then((transporter: Transporter) => transporter.close()),
  };
}

function fileTransport(settings: Config["mail"], logger: Logger): MailTransport {
  const files = openedOnFirstMail(({ createTransport }) =>
    createTransport({ streamTransport: true, buffer: true, newline: "unix" }, { from: settings.from }),
  );
  return {
    async send(mail) {
      const info = await (await files.get()).sendMail({ to: mail.to, subject: mail.subject, text: mail.text, html: mail.html });
      // The mail holds live links: readable by the owner only, like the development secrets.
      mkdirSync(settings.dropDir, { recursive: true, mode: 0o700 });
      const file = join(settings.dropDir, `${new Date().toISOString().replace(/[:.]/g, "-")}-${randomUUID().slice(0, 8)}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600, flag: "wx" });
      logger.info({ file }, "mail written to a file (no SMTP_URL set)");
    },
    close: () => void files.ifOpened()?.then((transporter) => transporter.close()),
  };
}
