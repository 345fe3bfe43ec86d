import type { EmailVerificationService } from "../account/email-verification-service.js";
import { AuthError } from "../errors.js";
import type { AuthEvents } from "../events/auth-events.js";
import type { LoginAttempt, RateLimits } from "../limits/rate-limits.js";
import type { MailOutbox, MailPurpose } from "../mail/mail-outbox.js";
import { mails } from "../mail/mail-templates.js";
import type { OutgoingMail } from "../mail/mail-transport.js";
import type { MfaChallenges } from "../mfa/mfa-challenges.js";
import type { MfaService, SecondFactor } from "../mfa/mfa-service.js";
import type { TotpEnrollmentOffer } from "../mfa/totp.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import type { UserRow } from "../store/tables.js";
import { checkLoginInput, identityKey, refuseControlCharacters } from "../users/user-rules.js";
import { type NewUser, rolesOf, type UserService } from "../users/user-service.js";
import type { AccessTokens, Viewer } from "./access-tokens.js";
import type { ClientInfo } from "./client-info.js";
import type { RotatedSession, SessionService } from "./session-service.js";

/** What a successful sign-up, login, refresh or password change hands back. */
export interface AuthResult {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly user: UserRow;
  /** Goes into the HttpOnly cookie, never into a response body. */
  readonly refreshToken: string;
  readonly sessionExpiresAt: number;
}

/** The use cases behind the mutations; resolvers only translate arguments and set the cookie. */
export class AuthService {
  constructor(
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly accessTokens: AccessTokens,
    private readonly limits: RateLimits,
    private readonly events: AuthEvents,
    private readonly mfa: MfaService,
    private readonly challenges: MfaChallenges,
    private readonly outbox: MailOutbox,
    private readonly verification: EmailVerificationService,
    private readonly allowSignup: boolean,
  ) {}

  async signUp(input: NewUser, client: ClientInfo): Promise<AuthResult> {
    if (!this.allowSignup) throw AuthError.forbidden("Sign-up is disabled");
    await this.limited(this.limits.consumeSignUp(client.ip), client, "signup");
    const user = await this.users.create(input);
    await this.events.record({ type: "signup", userId: user.id, ...client });
    await this.verification.sendLink(user);
    return this.issue(user, await this.sessions.start(user.id, client, { amr: ["pwd"] }));
  }

  async login(identifier: string, password: string, client: ClientInfo): Promise<AuthResult> {
    checkLoginInput(identifier, password);
    const key = identityKey(identifier).slice(0, FIELD_LIMITS.email);
    const attempt = await this.limited(this.limits.beginLoginAttempt(key, client.ip), client, "login");
    const result = await this.users.authenticate(identifier, password);
    if (!result.ok) {
      await this.events.record({
        type: "login_failed",
        userId: result.userId,
        ...client,
        detail: result.userId ? "wrong password" : "unknown account",
      });
      throw AuthError.unauthenticated("INVALID_CREDENTIALS");
    }
    const { user } = result;
    if (result.rehashed) await this.events.record({ type: "password_rehashed", userId: user.id, ...client });
    if (await this.mfa.isEnabled(user.id)) {
      // A right password is no failure, but not yet a login either: earlier failures stay counted,
      // so wrong codes across fresh mfaTokens spend one (username, IP) budget (ASVS 6.3.1).
      await attempt.refunded();
      const mfaToken = await this.challenges.issue(user.id, key);
      await this.events.record({ type: "mfa_required", userId: user.id, ...client });
      throw AuthError.mfaRequired(mfaToken);
    }
    return this.completeLogin(user, attempt, ["pwd"], client);
  }

  /**
   * With MFA on, a login proven another way (an OpenID provider) answers MFA_REQUIRED too, and
   * verifyMfa completes it; the second factor is the account's, whatever proved the first.
   */
  async requireSecondFactorIfEnabled(user: UserRow, client: ClientInfo): Promise<void> {
    if (!(await this.mfa.isEnabled(user.id))) return;
    const mfaToken = await this.challenges.issue(user.id, user.username_key);
    await this.events.record({ type: "mfa_required", userId: user.id, ...client });
    throw AuthError.mfaRequired(mfaToken);
  }

  /** The second step of a login that answered MFA_REQUIRED; on success exactly what `login` returns. */
  async verifyMfa(mfaToken: string, code: string, client: ClientInfo): Promise<AuthResult> {
    refuseControlCharacters("mfaToken", mfaToken);
    refuseControlCharacters("code", code);
    const challenge = await this.challenges.find(mfaToken);
    if (!challenge) {
      await this.events.record({ type: "mfa_failed", ...client, detail: "mfaToken invalid" });
      throw AuthError.unauthenticated("MFA_TOKEN_INVALID");
    }
    const attempt = await this.limited(this.limits.beginLoginAttempt(challenge.login_key, client.ip), client, "verify_mfa");
    const user = await this.users.findById(challenge.user_id);
    const factor = user ? await this.mfa.verify(user.id, code.trim(), client) : undefined;
    if (!user || !factor) {
      await this.challenges.failed(challenge);
      await this.events.record({ type: "mfa_failed", userId: challenge.user_id, ...client, detail: "wrong code" });
      throw AuthError.unauthenticated("MFA_CODE_INVALID");
    }
    if (!(await this.challenges.consume(challenge))) throw AuthError.unauthenticated("MFA_TOKEN_INVALID");
    return this.completeLogin(user, attempt, ["pwd", factor], client);
  }

  private async completeLogin(user: UserRow, attempt: LoginAttempt, amr: string[], client: ClientInfo): Promise<AuthResult> {
    await attempt.succeeded();
    const session = await this.sessions.start(user.id, client, { amr });
    await this.events.record({ type: "login_succeeded", userId: user.id, sessionId: session.session.id, ...client, detail: amr.join("+") });
    return this.issue(user, session);
  }

  async refresh(presented: string | undefined, client: ClientInfo): Promise<AuthResult> {
    await this.limited(this.limits.consumeRefresh(client.ip), client, "refresh");
    const rotated = await this.sessions.rotate(presented, client);
    const user = await this.users.findById(rotated.session.user_id);
    if (!user) throw AuthError.unauthenticated("REFRESH_INVALID");
    return this.issue(user, rotated);
  }

  logout(presented: string | undefined, client: ClientInfo): Promise<void> {
    return this.sessions.endByToken(presented, client);
  }

  logoutAll(viewer: Viewer, client: ClientInfo): Promise<number> {
    return this.sessions.endAll(viewer.userId, "logout_all", client);
  }

  async revokeSession(viewer: Viewer, sessionId: string, client: ClientInfo): Promise<boolean> {
    // A NUL would otherwise reach PostgreSQL, which refuses it as a store error.
    refuseControlCharacters("id", sessionId);
    return this.sessions.end(viewer.userId, sessionId, "revoked", client);
  }

  /** OWASP ASVS 7.4.3: a password change ends every other session and renews this one's token. */
  async changePassword(
    viewer: Viewer,
    input: { currentPassword: string; newPassword: string; totpCode?: string | null | undefined },
    client: ClientInfo,
  ): Promise<AuthResult> {
    const { currentPassword, newPassword } = input;
    const { user: current } = await this.proveOwner(viewer, currentPassword, input.totpCode, client, "change_password");
    const user = await this.users.setPassword(current, newPassword);
    await this.challenges.endAllOf(user.id);
    await this.sessions.endAll(user.id, "password_changed", client, viewer.sessionId);
    await this.events.record({ type: "password_changed", userId: user.id, sessionId: viewer.sessionId, ...client });
    // OWASP ASVS 6.3.7: the owner hears of a password change they may not have made.
    await this.outbox.send(user.id, "password_changed", mails.passwordChanged(user.email));
    return this.issue(user, await this.sessions.reissue(user.id, viewer.sessionId, client));
  }

  /** Checks the password, then refuses with TOTP already on, before making a new secret. */
  async beginTotpEnrollment(viewer: Viewer, currentPassword: string, client: ClientInfo): Promise<TotpEnrollmentOffer> {
    await this.mfa.refuseIfEnabled(viewer.userId);
    const { user } = await this.proveOwner(viewer, currentPassword, undefined, client, "mfa_enrollment");
    return this.mfa.begin(user, client);
  }

  /** Proves the new authenticator and turns MFA on; the owner is told by mail (ASVS 6.3.7). */
  async confirmTotpEnrollment(viewer: Viewer, code: string, client: ClientInfo): Promise<string[]> {
    const codes = await this.mfa.confirm(viewer.userId, code, client);
    await this.notify(viewer.userId, "mfa_enabled", mails.mfaEnabled);
    return codes;
  }

  /** A current code is a second proof of presence: a stolen access token alone cannot remove the factor. */
  async disableTotp(viewer: Viewer, code: string, client: ClientInfo): Promise<boolean> {
    const disabled = await this.withCodeGuesses(viewer, code, client, "disable_mfa", () => this.mfa.disable(viewer.userId, code, client));
    if (disabled) await this.notify(viewer.userId, "mfa_disabled", mails.mfaDisabled);
    return disabled;
  }

  /** Mails the account's owner a notice of a security change they may not have made (ASVS 6.3.7). */
  private async notify(userId: string, purpose: MailPurpose, mail: (to: string) => OutgoingMail): Promise<void> {
    const user = await this.users.findById(userId);
    if (user) await this.outbox.send(user.id, purpose, mail(user.email));
  }

  async regenerateRecoveryCodes(viewer: Viewer, code: string, client: ClientInfo): Promise<string[]> {
    return this.withCodeGuesses(viewer, code, client, "regenerate_codes", () =>
      this.mfa.regenerateRecoveryCodes(viewer.userId, code, client),
    );
  }

  /**
   * The caller's current password, and with MFA on a current code too (step-up), counted in the
   * account's login limits. The proof resets the count, as a successful login does, so retrying a
   * refused new password never locks anyone out.
   */
  private async proveOwner(
    viewer: Viewer,
    currentPassword: string,
    totpCode: string | null | undefined,
    client: ClientInfo,
    what: string,
  ): Promise<{ user: UserRow; factor: SecondFactor | undefined }> {
    refuseControlCharacters("currentPassword", currentPassword);
    if (totpCode) refuseControlCharacters("totpCode", totpCode);
    const attempt = await this.limited(this.limits.beginLoginAttempt(`user:${viewer.userId}`, client.ip), client, what);
    const user = await this.users.verifyPassword(viewer.userId, currentPassword);
    const factor = await this.mfa.requireStepUp(user.id, totpCode, client);
    await attempt.succeeded();
    return { user, factor };
  }

  /** Runs `use` with `code` checked inside it, each try counted in the account's login limits. */
  private async withCodeGuesses<T>(viewer: Viewer, code: string, client: ClientInfo, what: string, use: () => Promise<T>): Promise<T> {
    refuseControlCharacters("code", code);
    const attempt = await this.limited(this.limits.beginLoginAttempt(`user:${viewer.userId}`, client.ip), client, what);
    const result = await use();
    await attempt.succeeded();
    return result;
  }

  /** Access token and refresh cookie for a session just started, rotated or reissued. */
  issue(user: UserRow, rotated: RotatedSession): AuthResult {
    const { session, refreshToken } = rotated;
    const access = this.accessTokens.issue(
      {
        userId: user.id,
        sessionId: session.id,
        roles: rolesOf(user),
        username: user.username,
        email: user.email,
        ...(session.idp ? { idp: session.idp } : {}),
        ...(session.amr ? { amr: session.amr.split(",") } : {}),
        emailVerified: user.email_verified === 1,
      },
      session.expires_at,
    );
    return { accessToken: access.token, expiresIn: access.expiresIn, user, refreshToken, sessionExpiresAt: session.expires_at };
  }

  /** Records a refusal in the audit trail before passing it on. */
  private async limited<T>(check: Promise<T>, client: ClientInfo, what: string): Promise<T> {
    try {
      return await check;
    } catch (error) {
      if (error instanceof AuthError && error.code === "RATE_LIMITED")
        await this.events.record({ type: "rate_limited", ...client, detail: what });
      throw error;
    }
  }
}
