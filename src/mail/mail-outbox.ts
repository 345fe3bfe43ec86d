import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { SealedBox } from "../auth/sealed-box.js";
import type { Clock } from "../clock.js";
import type { Database } from "../store/tables.js";
import type { OutgoingMail } from "./mail-transport.js";
import type { OutboxRepository } from "./outbox-repository.js";

/** Why a mail is sent; recorded beside it for logs and for account deletion, never its content. */
export type MailPurpose =
  | "password_reset"
  | "email_verification"
  | "password_changed"
  | "email_change_requested"
  | "account_deleted"
  | "mfa_enabled"
  | "mfa_disabled";

/**
 * The durable outbox (transactional outbox pattern): a use case records its mail in the same
 * transaction as the token the mail carries, so a token never exists without its mail nor a mail
 * without its token, and the request returns without waiting on SMTP. The whole message is sealed,
 * so the link's token cannot be read from the store (OWASP ASVS 14.2.4).
 */
export class MailOutbox {
  private listener: () => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    private readonly repository: OutboxRepository,
    private readonly box: SealedBox,
    private readonly clock: Clock,
  ) {}

  /** Records a mail through `db` (the caller's transaction, or the store itself). Call `wake()` after commit. */
  async enqueue(db: Kysely<Database>, userId: string | null, purpose: MailPurpose, mail: OutgoingMail): Promise<void> {
    const sealed = this.box.seal(JSON.stringify(mail));
    await this.repository.insert(db, { id: randomUUID(), userId, purpose, sealed, now: this.clock.now() });
  }

  /**
   * Does the work of `enqueue` short of writing, for a request that must take as long whether or
   * not an account exists (no enumeration by timing).
   */
  rehearse(mail: OutgoingMail): void {
    this.box.seal(JSON.stringify(mail));
  }

  /** Records a mail that goes with no token (a notice) and wakes the worker. */
  async send(userId: string | null, purpose: MailPurpose, mail: OutgoingMail): Promise<void> {
    await this.enqueue(this.db, userId, purpose, mail);
    this.wake();
  }

  /** Drops an account's pending mail (account deletion, GDPR Art. 17), in the caller's transaction. */
  forget(db: Kysely<Database>, userId: string): Promise<void> {
    return this.repository.deleteForUser(db, userId);
  }

  /** Tells this instance's worker that mail was committed, so its first attempt starts at once. */
  wake(): void {
    this.listener();
  }

  /** The worker to tell when mail is queued. */
  onQueued(listener: () => void): void {
    this.listener = listener;
  }

  open(sealed: string): OutgoingMail {
    return JSON.parse(this.box.open(sealed)) as OutgoingMail;
  }
}
