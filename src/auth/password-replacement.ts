import type { Kysely } from "kysely";
import type { Clock } from "../clock.js";
import type { MfaRepository } from "../mfa/mfa-repository.js";
import type { Database } from "../store/tables.js";
import type { Account } from "../users/account.js";
import type { UserRepository } from "../users/user-repository.js";
import type { SessionRepository } from "./session-repository.js";
import type { SessionRevocations } from "./session-revocations.js";

/** Whatever else must commit with the new password (a reset link used up, a mail queued). */
export type Alongside = (trx: Kysely<Database>) => Promise<void>;

/**
 * The one way an account's password changes (changePassword, resetPassword). In one transaction:
 * the new hash, the credential version moved on, every session and pending login step of the
 * account ended. Then the ended sessions are announced, so their access tokens stop working
 * within a second on every instance. With the version checked when a session is stored and on
 * every refresh, no token issued before the change and no login that checked the old password
 * outlives it, the caller's own included (OWASP ASVS 7.4.3, CWE-367).
 */
export class PasswordReplacement {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly mfa: MfaRepository,
    private readonly revocations: SessionRevocations,
    private readonly clock: Clock,
  ) {}

  /**
   * Gives the user the password behind `passwordHash`. With `fromVersion`, only while the account is
   * still at that credential version: undefined when another change came first (and ended the
   * caller's session). Returns the account at its new version.
   */
  async replace(
    userId: string,
    passwordHash: string,
    reason: "password_changed" | "password_reset",
    options: { fromVersion?: number; alongside?: Alongside } = {},
  ): Promise<Account | undefined> {
    const now = this.clock.now();
    const ended = await this.db.transaction().execute(async (trx) => {
      if (!(await this.users.replacePassword(userId, passwordHash, options.fromVersion, now, trx))) return undefined;
      await this.mfa.deleteChallengesOf(userId, trx);
      await options.alongside?.(trx);
      return this.sessions.revokeAllForUser(userId, now, reason, undefined, trx);
    });
    if (ended === undefined) return undefined;
    await this.revocations.announce(ended, now);
    const changed = await this.users.findAccountById(userId);
    if (!changed) throw new Error("an account vanished while its password changed");
    return changed;
  }
}
