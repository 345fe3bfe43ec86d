import type { ClientInfo } from "../auth/client-info.js";
import { mails } from "../mail/mail-templates.js";
import { checkEmail, identityKey } from "../users/user-rules.js";
import type { AccountDeps } from "./account-deps.js";

/**
 * Forgotten passwords (OWASP Forgot Password Cheat Sheet, ASVS 6.4): a mailed single-use link,
 * the same answer and about the same time whether or not the address has an account, and a
 * completed reset that ends every session and tells the owner.
 */
export class PasswordResetService {
  constructor(private readonly deps: AccountDeps) {}

  /** Always true for a well-formed address; mails a link only when an account has it. */
  async request(email: string, client: ClientInfo): Promise<true> {
    const address = checkEmail(email);
    // Counted whether or not the account exists, so being limited tells nothing either.
    await this.deps.limits.consumeAccountMail("reset_request_ip", client.ip);
    await this.deps.limits.consumeAccountMail("reset_request_address", identityKey(address));
    const user = (await this.deps.userRows.findByLoginKey(identityKey(address)))?.user;
    await this.deps.links.issue(user?.id, {
      purpose: "password_reset",
      page: this.deps.settings.passwordResetUrl,
      ttlMs: this.deps.settings.passwordResetTtlMs,
      // To the address on the account, which may differ from the one typed in case only.
      mail: (url) => mails.passwordReset(user?.email ?? address, url, this.deps.settings.passwordResetTtlMs),
    });
    if (user) await this.deps.events.record({ type: "password_reset_requested", userId: user.id, ...client });
    return true;
  }

  /**
   * Sets the new password from a reset link: the same password rules (a refused password leaves
   * the link usable), the link used up, every session ended, the email counted as verified (the
   * link proved the mailbox), and a notice mailed. It does not log in.
   */
  async reset(token: string, newPassword: string, client: ClientInfo): Promise<true> {
    await this.deps.limits.consumeAccountMail("reset_ip", client.ip);
    const link = await this.deps.links.check(token, "password_reset");
    const user = await this.deps.userRows.findById(link.user_id);
    if (!user) throw new Error("a reset link outlived its account");
    const passwordHash = await this.deps.users.hashNewPassword(user, newPassword);
    // ASVS 6.4.3 / 7.4.3: whoever held a session with the old password loses it, and a login step
    // opened with the old password (an mfaToken) can no longer be completed.
    await this.deps.passwords.replace(user.id, passwordHash, "password_reset", {
      alongside: async (trx) => {
        await this.deps.links.consume(trx, link);
        await this.deps.links.retireAll(trx, user.id, "password_reset");
        // The link reached the mailbox: that proves the address (the contract marks it verified).
        await this.deps.userRows.markEmailVerified(user.id, this.deps.clock.now(), trx);
        await this.deps.outbox.enqueue(trx, user.id, "password_changed", mails.passwordChanged(user.email));
      },
    });
    this.deps.outbox.wake();
    await this.deps.events.record({ type: "password_reset", userId: user.id, ...client });
    return true;
  }
}
