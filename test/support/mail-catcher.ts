import type { AddressInfo } from "node:net";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll } from "vitest";

/** One mail as the SMTP server received it, parsed. */
export interface CaughtMail {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** The first http(s) link in the plain-text part. */
  readonly link: string | undefined;
}

const WAIT_LIMIT_MS = 15_000;

/**
 * A real SMTP server (smtp-server) on 127.0.0.1 that keeps every mail it accepts, parsed with
 * mailparser, so tests read the mails the app sends and follow their links. It can be taken down
 * and brought back on the same port, as an SMTP outage would look to the app.
 */
export class MailCatcher {
  readonly mails: CaughtMail[] = [];
  private server: SMTPServer | undefined;
  private port = 0;
  private waiters: (() => void)[] = [];

  static async start(): Promise<MailCatcher> {
    const catcher = new MailCatcher();
    await catcher.up();
    return catcher;
  }

  /** SMTP_URL for the app under test. */
  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = new SMTPServer({
      logger: false,
      authOptional: true,
      // Plain SMTP on loopback: STARTTLS would offer the package's built-in test certificate.
      disabledCommands: ["STARTTLS", "AUTH"],
      onData: (stream, session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const text = parsed.text ?? "";
            for (const rcpt of session.envelope.rcptTo) {
              this.mails.push({
                to: rcpt.address,
                subject: parsed.subject ?? "",
                text,
                html: typeof parsed.html === "string" ? parsed.html : "",
                link: /https?:\/\/\S+/.exec(text)?.[0],
              });
            }
            for (const wake of this.waiters.splice(0)) wake();
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops accepting connections (the port then refuses them) until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Mail received so far for this address, only those whose subject matches when given. */
  to(address: string, subject?: RegExp): CaughtMail[] {
    return this.mails.filter((mail) => mail.to.toLowerCase() === address.toLowerCase() && (!subject || subject.test(mail.subject)));
  }

  /**
   * Waits until the address has received its `count`th mail (counting from 1) with a matching
   * subject, and returns that mail.
   */
  async nth(address: string, subject?: RegExp, count = 1): Promise<CaughtMail> {
    const deadline = Date.now() + WAIT_LIMIT_MS;
    while (this.to(address, subject).length < count) {
      if (Date.now() > deadline) throw new Error(`no mail #${count} for ${address} within ${WAIT_LIMIT_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.to(address, subject)[count - 1] as CaughtMail;
  }

  /** The `token` query parameter of a mail's link. */
  static tokenOf(mail: CaughtMail): string {
    if (!mail.link) throw new Error(`mail "${mail.subject}" has no link`);
    const token = new URL(mail.link).searchParams.get("token");
    if (!token) throw new Error(`link in "${mail.subject}" has no token`);
    return token;
  }

  async stop(): Promise<void> {
    await this.down();
  }
}

/**
 * A MailCatcher for the enclosing `describe`, up before its tests (register it before the server
 * fixture, whose settings read its URL) and stopped after them.
 */
export function catcherPerSuite(): () => MailCatcher {
  let catcher: MailCatcher | undefined;
  beforeAll(async () => {
    catcher = await MailCatcher.start();
  });
  afterAll(() => catcher?.stop());
  return () => {
    if (!catcher) throw new Error("the suite's SMTP server is not running yet");
    return catcher;
  };
}
