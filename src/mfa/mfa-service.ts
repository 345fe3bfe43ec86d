import type { ClientInfo } from "../auth/client-info.js";
import type { Clock } from "../clock.js";
import { AuthError } from "../errors.js";
import type { AuthEvents } from "../events/auth-events.js";
import type { Logger } from "../logger.js";
import type { MfaRepository } from "./mfa-repository.js";
import { hashRecoveryCode, newRecoveryCodes, normalizeRecoveryCode } from "./recovery-codes.js";
import type { SecretKeyRing } from "./secret-key-ring.js";
import { Totp, type TotpEnrollmentOffer } from "./totp.js";

/** How a second factor was proven, as RFC 8176 names it: `otp` for a TOTP code, `mfa` for a recovery code. */
export type SecondFactor = "otp" | "mfa";

/**
 * The account's second factor (OWASP ASVS 6.5 and 6.6, NIST SP 800-63B §5.1.4): a TOTP
 * authenticator proven before it counts, each code accepted once, recovery codes used once.
 */
export class MfaService {
  constructor(
    private readonly repository: MfaRepository,
    private readonly totp: Totp,
    private readonly keys: SecretKeyRing,
    private readonly events: AuthEvents,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  async isEnabled(userId: string): Promise<boolean> {
    return (await this.repository.findFactor(userId))?.confirmed_at != null;
  }

  async refuseIfEnabled(userId: string): Promise<void> {
    if (await this.isEnabled(userId)) throw alreadyEnabled();
  }

  /** A new pending secret for an account without MFA; the caller has checked the password. */
  async begin(user: { id: string; username: string }, client: ClientInfo): Promise<TotpEnrollmentOffer> {
    await this.refuseIfEnabled(user.id);
    const offer = await this.totp.offer(user.username);
    if (!(await this.repository.savePending(user.id, this.keys.seal(offer.secret), this.clock.now()))) throw alreadyEnabled();
    await this.events.record({ type: "mfa_enrollment_started", userId: user.id, ...client });
    return offer;
  }

  /** Proves the pending secret with a code, turns MFA on and returns the recovery codes, shown once. */
  async confirm(userId: string, code: string, client: ClientInfo): Promise<string[]> {
    const factor = await this.repository.findFactor(userId);
    if (factor?.confirmed_at != null) throw alreadyEnabled();
    const wrong = () =>
      AuthError.badInput("code", "That code does not match the new authenticator; check the device's clock and try again");
    if (!factor) throw AuthError.badInput("code", "No enrolment is pending; call beginTotpEnrollment first");
    const step = this.totp.matchingStep(this.keys.open({ sealed: factor.secret_sealed, keyId: factor.key_id }), code, this.clock.now());
    if (step === undefined) throw wrong();
    const codes = newRecoveryCodes();
    const hashes = codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c) as string));
    if (!(await this.repository.confirm(userId, factor.secret_sealed, step, hashes, this.clock.now()))) throw wrong();
    await this.events.record({ type: "mfa_enabled", userId, ...client });
    return codes;
  }

  /**
   * Which factor `code` proves for the account, or undefined: a TOTP code of an unused time step,
   * or (unless `totpOnly`) an unused recovery code, which this uses up.
   */
  async verify(userId: string, code: string, client: ClientInfo, totpOnly = false): Promise<SecondFactor | undefined> {
    const factor = await this.repository.findFactor(userId);
    if (factor?.confirmed_at == null) return undefined;
    if (Totp.isCodeShaped(code)) return (await this.verifyTotp(factor, code)) ? "otp" : undefined;
    const recovery = totpOnly ? undefined : normalizeRecoveryCode(code);
    if (recovery === undefined || !(await this.repository.useRecoveryCode(userId, hashRecoveryCode(recovery)))) return undefined;
    await this.events.record({ type: "recovery_code_used", userId, ...client });
    return "mfa";
  }

  /** Like `verify`, for an operation that needs a second proof when MFA is on (ASVS 6.5.x step-up). */
  async requireStepUp(userId: string, code: string | null | undefined, client: ClientInfo): Promise<SecondFactor | undefined> {
    if (!(await this.isEnabled(userId))) return undefined;
    if (code === undefined || code === null || code.trim() === "") {
      throw AuthError.badInput("totpCode", "totpCode is required while two-factor authentication is on");
    }
    const factor = await this.verify(userId, code.trim(), client);
    if (!factor) {
      await this.events.record({ type: "mfa_failed", userId, ...client, detail: "step-up" });
      throw AuthError.unauthenticated("MFA_CODE_INVALID");
    }
    return factor;
  }

  /** Turns MFA off after a current code; the secret and recovery codes are deleted. */
  async disable(userId: string, code: string, client: ClientInfo): Promise<boolean> {
    await this.demand(userId, code, client, false);
    const removed = await this.repository.removeFactor(userId);
    if (removed) await this.events.record({ type: "mfa_disabled", userId, ...client });
    return removed;
  }

  async regenerateRecoveryCodes(userId: string, code: string, client: ClientInfo): Promise<string[]> {
    await this.demand(userId, code, client, true);
    const codes = newRecoveryCodes();
    await this.repository.replaceRecoveryCodes(
      userId,
      codes.map((c) => hashRecoveryCode(normalizeRecoveryCode(c) as string)),
      this.clock.now(),
    );
    await this.events.record({ type: "recovery_codes_regenerated", userId, ...client });
    return codes;
  }

  private async demand(userId: string, code: string, client: ClientInfo, totpOnly: boolean): Promise<void> {
    if (!(await this.isEnabled(userId))) throw AuthError.badInput("code", "Two-factor authentication is not on");
    if (!(await this.verify(userId, code.trim(), client, totpOnly))) {
      await this.events.record({ type: "mfa_failed", userId, ...client, detail: totpOnly ? "regenerate" : "disable" });
      throw AuthError.unauthenticated("MFA_CODE_INVALID");
    }
  }

  private async verifyTotp(factor: { user_id: string; secret_sealed: string; key_id: string }, code: string): Promise<boolean> {
    const sealed = { sealed: factor.secret_sealed, keyId: factor.key_id };
    const secret = this.keys.open(sealed);
    const step = this.totp.matchingStep(secret, code, this.clock.now());
    if (step === undefined || !(await this.repository.acceptStep(factor.user_id, step))) return false;
    if (this.keys.needsResealing(sealed)) {
      // Rotation: move the secret to the current key on use, so the retired key can be dropped.
      await this.repository.reseal(factor.user_id, factor.secret_sealed, this.keys.seal(secret));
      this.logger.info(
        { userId: factor.user_id, from: factor.key_id, to: this.keys.currentKeyId },
        "MFA secret sealed under the current key",
      );
    }
    return true;
  }
}

function alreadyEnabled(): AuthError {
  return AuthError.badInputBecause("MFA_ALREADY_ENABLED", "Two-factor authentication is already on; turn it off first");
}
