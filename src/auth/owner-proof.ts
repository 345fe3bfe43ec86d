import type { AuthEvents } from "../events/auth-events.js";
import { auditedLimit } from "../events/rate-limit-audit.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { MfaService, SecondFactor } from "../mfa/mfa-service.js";
import type { Account } from "../users/account.js";
import { refuseControlCharacters } from "../users/user-rules.js";
import type { UserService } from "../users/user-service.js";
import type { Viewer } from "./access-tokens.js";
import type { ClientInfo } from "./client-info.js";
import { accountKey } from "./login-keys.js";

/**
 * Proof that the caller of a sensitive operation is the account's owner, not just the holder of
 * an access token: the current password and, with MFA on, a current code (step-up, ASVS 6.5).
 * Each try counts with the account's failed logins from that IP, so a stolen access token buys
 * no extra guesses (OWASP ASVS 6.3.1); a right proof resets the count, as a login does, so
 * retrying a refused new password never locks the owner out. Failures are audited.
 */
export class OwnerProof {
  constructor(
    private readonly users: UserService,
    private readonly mfa: MfaService,
    private readonly limits: RateLimits,
    private readonly events: AuthEvents,
  ) {}

  /** The caller's account once proven; `what` names the operation in the audit trail. */
  async prove(
    viewer: Viewer,
    password: string,
    totpCode: string | null | undefined,
    client: ClientInfo,
    what: string,
  ): Promise<{ account: Account; factor: SecondFactor | undefined }> {
    refuseControlCharacters("currentPassword", password);
    if (totpCode) refuseControlCharacters("totpCode", totpCode);
    const attempt = await this.beginAttempt(viewer, client, what);
    const account = await this.users.verifyPassword(viewer.userId, password).catch(async (error: unknown) => {
      await this.events.record({ type: "login_failed", userId: viewer.userId, ...client, detail: `${what}: wrong current password` });
      throw error;
    });
    const factor = await this.mfa.requireStepUp(account.user.id, totpCode, client);
    await attempt.succeeded();
    return { account, factor };
  }

  /** Runs `use`, which checks `code`, with the try counted like a password check. */
  async withCode<T>(viewer: Viewer, code: string, client: ClientInfo, what: string, use: () => Promise<T>): Promise<T> {
    refuseControlCharacters("code", code);
    const attempt = await this.beginAttempt(viewer, client, what);
    const result = await use();
    await attempt.succeeded();
    return result;
  }

  private beginAttempt(viewer: Viewer, client: ClientInfo, what: string) {
    return auditedLimit(this.events, this.limits.beginLoginAttempt(accountKey(viewer.userId), client.ip), what, client, viewer.userId);
  }
}
