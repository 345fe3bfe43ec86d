import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import { AuthError } from "../errors.js";
import type { MailOutbox, MailPurpose } from "../mail/mail-outbox.js";
import { linkTo } from "../mail/mail-templates.js";
import type { OutgoingMail } from "../mail/mail-transport.js";
import type { AccountLinkRow, Database } from "../store/tables.js";
import type { LinkPurpose, LinkRepository } from "./link-repository.js";
import { hashLinkToken, isWellFormedLinkToken, mintLinkToken } from "./link-token.js";

export interface LinkRequest {
  readonly purpose: LinkPurpose & MailPurpose;
  /** The frontend page the link opens (PASSWORD_RESET_URL, EMAIL_VERIFICATION_URL). */
  readonly page: string;
  readonly ttlMs: number;
  /** The mail that carries the link. */
  readonly mail: (url: string) => OutgoingMail;
  /** The address an email-change link moves the account to. */
  readonly newEmail?: string;
  /** The session that asked for an email change. */
  readonly sessionId?: string;
  /** A notice that goes out with the link, in the same transaction (the old address, for a change). */
  readonly notice?: { readonly purpose: MailPurpose; readonly mail: OutgoingMail };
}

/**
 * Single-use links sent by mail (password reset, email verification): issued together with their
 * mail in one transaction, newest only, stored as a hash, used once, and checked with a reason a
 * frontend can show (LINK_INVALID, LINK_EXPIRED, LINK_USED).
 */
export class AccountLinks {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly links: LinkRepository,
    private readonly outbox: MailOutbox,
    private readonly clock: Clock,
  ) {}

  /**
   * Mints a link, retires the account's earlier ones of that purpose and queues its mail, in one
   * transaction. For no account (`userId` undefined) the same token and mail work is done and
   * nothing is written, so the answer takes about as long either way (no account enumeration).
   */
  async issue(userId: string | undefined, request: LinkRequest): Promise<void> {
    const token = mintLinkToken();
    const mail = request.mail(linkTo(request.page, token.value));
    if (userId === undefined) {
      this.outbox.rehearse(mail);
      return;
    }
    const now = this.clock.now();
    const row: AccountLinkRow = {
      id: randomUUID(),
      user_id: userId,
      purpose: request.purpose,
      token_hash: token.hash,
      new_email: request.newEmail ?? null,
      session_id: request.sessionId ?? null,
      created_at: now,
      expires_at: now + request.ttlMs,
      used_at: null,
    };
    await this.db.transaction().execute(async (trx) => {
      await this.links.replace(trx, row);
      await this.outbox.enqueue(trx, userId, request.purpose, mail);
      if (request.notice) await this.outbox.enqueue(trx, userId, request.notice.purpose, request.notice.mail);
    });
    this.outbox.wake();
  }

  /** The live link a presented token names; else BAD_USER_INPUT on `token` with the reason. */
  async check(presented: string, purpose: LinkPurpose): Promise<AccountLinkRow> {
    if (!isWellFormedLinkToken(presented)) throw AuthError.linkRefused("LINK_INVALID");
    const link = await this.links.findByHash(hashLinkToken(presented));
    if (!link || link.purpose !== purpose) throw AuthError.linkRefused("LINK_INVALID");
    if (link.used_at !== null) throw AuthError.linkRefused("LINK_USED");
    if (link.expires_at <= this.clock.now()) throw AuthError.linkRefused("LINK_EXPIRED");
    return link;
  }

  /** Uses the link up inside the caller's transaction; LINK_USED when a racing request used it first. */
  async consume(trx: Kysely<Database>, link: AccountLinkRow): Promise<void> {
    if (!(await this.links.consume(trx, link.id, this.clock.now()))) throw AuthError.linkRefused("LINK_USED");
  }

  /** Voids the account's other unused links of a purpose, inside the caller's transaction. */
  retireAll(trx: Kysely<Database>, userId: string, purpose: LinkPurpose): Promise<void> {
    return this.links.retireAll(trx, userId, purpose, this.clock.now());
  }
}
