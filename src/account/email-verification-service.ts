import type { Viewer } from "../auth/access-tokens.js";
import type { ClientInfo } from "../auth/client-info.js";
import { AuthError } from "../errors.js";
import { mails } from "../mail/mail-templates.js";
import type { User } from "../users/user.js";
import { checkEmail, identityKey } from "../users/user-rules.js";
import type { AccountDeps } from "./account-deps.js";

/**
 * Proving an address (ASVS 6.4, OIDC `email_verified`): a link mailed at sign-up or on request,
 * and changing the address, which takes effect only once a link mailed to the new address is used
 * (the old address is told at once, ASVS 6.3.7).
 */
export class EmailVerificationService {
  constructor(private readonly deps: AccountDeps) {}

  /** Mails a link that proves the account's current address; earlier links stop working. */
  sendLink(user: User): Promise<void> {
    return this.deps.links.issue(user.id, {
      purpose: "email_verification",
      page: this.deps.settings.emailVerificationUrl,
      ttlMs: this.deps.settings.emailVerificationTtlMs,
      mail: (url) => mails.emailVerification(user.email, url, this.deps.settings.emailVerificationTtlMs),
    });
  }

  /** A new link for an unverified address (3 an hour per account); false when already verified. */
  async resend(viewer: Viewer): Promise<boolean> {
    await this.deps.limits.consumeAccountMail("resend_account", viewer.userId);
    const user = await this.deps.userRows.findById(viewer.userId);
    if (!user) throw AuthError.unauthenticated("SESSION_REVOKED");
    if (user.emailVerified) return false;
    await this.sendLink(user);
    return true;
  }

  /**
   * Checks the password (counted with the login failures of this account and IP) and the new
   * address, then mails a link to the new address and a notice to the old one. Nothing changes
   * until the link is used.
   */
  async requestChange(
    viewer: Viewer,
    input: { newEmail: string; currentPassword: string; totpCode?: string | null | undefined },
    client: ClientInfo,
  ): Promise<true> {
    const { newEmail } = input;
    const { user } = (await this.deps.proof.prove(viewer, input.currentPassword, input.totpCode, client, "request_email_change")).account;
    const address = checkEmail(newEmail, "newEmail");
    const key = identityKey(address);
    // The account's own email key is identityKey of its address, as every write stores it.
    if (key === identityKey(user.email)) throw AuthError.badInput("newEmail", "newEmail is already this account's address");
    if (await this.deps.userRows.emailTaken(key)) throw AuthError.badInput("newEmail", "newEmail is already registered");
    await this.deps.links.issue(user.id, {
      purpose: "email_verification",
      page: this.deps.settings.emailVerificationUrl,
      ttlMs: this.deps.settings.emailVerificationTtlMs,
      newEmail: address,
      sessionId: viewer.sessionId,
      mail: (url) => mails.emailVerification(address, url, this.deps.settings.emailVerificationTtlMs),
      notice: { purpose: "email_change_requested", mail: mails.emailChangeRequested(user.email) },
    });
    await this.deps.events.record({ type: "email_change_requested", userId: user.id, sessionId: viewer.sessionId, ...client });
    return true;
  }

  /**
   * Uses a verification link (no access token needed: it may be opened on another device). An
   * email-change link moves the account to the new address, unless another account took it
   * meanwhile (EMAIL_TAKEN), and ends the account's sessions but the one that asked.
   */
  async verify(token: string, client: ClientInfo): Promise<true> {
    await this.deps.limits.consumeAccountMail("verify_ip", client.ip);
    const link = await this.deps.links.check(token, "email_verification");
    const newEmail = link.new_email;
    const taken = async () => newEmail !== null && (await this.deps.userRows.emailTaken(identityKey(newEmail)));
    if (await taken()) throw AuthError.linkRefused("EMAIL_TAKEN");
    try {
      await this.deps.db.transaction().execute(async (trx) => {
        await this.deps.links.consume(trx, link);
        const now = this.deps.clock.now();
        if (newEmail === null) return this.deps.userRows.markEmailVerified(link.user_id, now, trx);
        // Links sent to the old address prove nothing about the new one.
        await this.deps.links.retireAll(trx, link.user_id, "email_verification");
        await this.deps.userRows.changeEmail(link.user_id, newEmail, identityKey(newEmail), now, trx);
      });
    } catch (error) {
      // Lost a race with a sign-up for the same address: the unique key refused the change.
      if (await taken()) throw AuthError.linkRefused("EMAIL_TAKEN");
      throw error;
    }
    if (newEmail === null) {
      await this.deps.events.record({ type: "email_verified", userId: link.user_id, ...client });
      return true;
    }
    // Whoever else held a session learned nothing of the change; the session that asked goes on.
    await this.deps.sessions.endAll(link.user_id, "email_changed", client, link.session_id ?? undefined);
    await this.deps.events.record({ type: "email_changed", userId: link.user_id, sessionId: link.session_id, ...client });
    return true;
  }
}
