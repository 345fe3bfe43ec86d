import type { EmailVerificationService } from "../account/email-verification-service.js";
import { AuthError } from "../errors.js";
import { type AuthEvents, MFA_LOGIN_FAILURES } from "../events/auth-events.js";
import { auditedLimit } from "../events/rate-limit-audit.js";
import type { LoginAttempt, RateLimits } from "../limits/rate-limits.js";
import type { MailOutbox, MailPurpose } from "../mail/mail-outbox.js";
import { mails } from "../mail/mail-templates.js";
import type { OutgoingMail } from "../mail/mail-transport.js";
import type { MfaChallenges } from "../mfa/mfa-challenges.js";
import type { MfaService } from "../mfa/mfa-service.js";
import type { TotpEnrollmentOffer } from "../mfa/totp.js";
import type { User } from "../users/user.js";
import { checkLoginInput, refuseControlCharacters } from "../users/user-rules.js";
import type { NewUser, UserService } from "../users/user-service.js";
import type { AccessTokens, Viewer } from "./access-tokens.js";
import type { ClientInfo } from "./client-info.js";
import { accountKey, unknownAccountKey } from "./login-keys.js";
import type { OwnerProof } from "./owner-proof.js";
import type { PasswordReplacement } from "./password-replacement.js";
import type { RotatedSession, SessionOwner, SessionService } from "./session-service.js";

/** What a successful sign-up, login, refresh or password change hands back. */
export interface AuthResult {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly user: User;
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
    private readonly proof: OwnerProof,
    private readonly passwords: PasswordReplacement,
    private readonly allowSignup: boolean,
  ) {}

  async signUp(input: NewUser, client: ClientInfo): Promise<AuthResult> {
    if (!this.allowSignup) throw AuthError.forbidden("Sign-up is disabled");
    await this.limited(this.limits.consumeSignUp(client.ip), client, "signup");
    const account = await this.users.create(input);
    await this.events.record({ type: "signup", userId: account.user.id, ...client });
    await this.verification.sendLink(account.user);
    return this.issue(account.user, await this.sessions.start(account, client, { amr: ["pwd"] }));
  }

  async login(identifier: string, password: string, client: ClientInfo): Promise<AuthResult> {
    checkLoginInput(identifier, password);
    await this.countLoginRequest(client, "login");
    const account = await this.users.findForLogin(identifier);
    const key = account ? accountKey(account.user.id) : unknownAccountKey(identifier);
    const attempt = await this.limited(this.limits.beginLoginAttempt(key, client.ip), client, "login", account?.user.id);
    const result = await this.users.checkPassword(account, password);
    if (!result.ok) {
      await this.events.record({
        type: "login_failed",
        userId: result.userId,
        ...client,
        detail: result.userId ? "wrong password" : "unknown account",
      });
      throw AuthError.unauthenticated("INVALID_CREDENTIALS");
    }
    const proven = result.account;
    if (result.rehashed) await this.events.record({ type: "password_rehashed", userId: proven.user.id, ...client });
    if (await this.mfa.isEnabled(proven.user.id)) {
      // A right password is no failure, but not yet a login either: earlier failures stay counted,
      // so wrong codes across fresh mfaTokens spend one (account, IP) budget (ASVS 6.3.1).
      await attempt.refunded();
      throw await this.secondFactorDue(proven, client);
    }
    return this.completeLogin(proven, attempt, ["pwd"], client);
  }

  /**
   * Counts one login-type request (`what`) against the IP's per-minute budget, successful or not
   * (LOGIN_MAX_PER_IP_PER_MINUTE; OWASP ASVS 2.4.1, CWE-770).
   */
  countLoginRequest(client: ClientInfo, what: string): Promise<void> {
    return this.limited(this.limits.consumeLoginRequest(client.ip), client, what);
  }

  /**
   * With MFA on, a login proven another way (an OpenID provider) answers MFA_REQUIRED too, and
   * verifyMfa completes it; the second factor is the account's, whatever proved the first.
   */
  async requireSecondFactorIfEnabled(owner: SessionOwner, client: ClientInfo): Promise<void> {
    if (await this.mfa.isEnabled(owner.user.id)) throw await this.secondFactorDue(owner, client);
  }

  /** The MFA_REQUIRED answer, with a login step bound to the account's current credential version. */
  private async secondFactorDue(owner: SessionOwner, client: ClientInfo): Promise<AuthError> {
    const userId = owner.user.id;
    const mfaToken = await this.challenges.issue(userId, owner.credentialVersion, accountKey(userId));
    await this.events.record({ type: "mfa_required", userId, ...client });
    return AuthError.mfaRequired(mfaToken);
  }

  /** The second step of a login that answered MFA_REQUIRED; on success exactly what `login` returns. */
  async verifyMfa(mfaToken: string, code: string, client: ClientInfo): Promise<AuthResult> {
    refuseControlCharacters("mfaToken", mfaToken);
    refuseControlCharacters("code", code);
    await this.countLoginRequest(client, "verify_mfa");
    const challenge = await this.challenges.find(mfaToken);
    if (!challenge) {
      await this.events.record({ type: "mfa_failed", ...client, detail: MFA_LOGIN_FAILURES.unknownToken });
      throw AuthError.unauthenticated("MFA_TOKEN_INVALID");
    }
    const attempt = await this.limited(
      this.limits.beginLoginAttempt(challenge.login_key, client.ip),
      client,
      "verify_mfa",
      challenge.user_id,
    );
    const user = await this.users.findById(challenge.user_id);
    const factor = user ? await this.mfa.verify(user.id, code.trim(), client) : undefined;
    if (!user || !factor) {
      await this.challenges.failed(challenge);
      await this.events.record({ type: "mfa_failed", userId: challenge.user_id, ...client, detail: MFA_LOGIN_FAILURES.wrongCode });
      throw AuthError.unauthenticated("MFA_CODE_INVALID");
    }
    if (!(await this.challenges.consume(challenge))) throw AuthError.unauthenticated("MFA_TOKEN_INVALID");
    // The session is as of the password check that opened the step: a change since voids it.
    return this.completeLogin({ user, credentialVersion: challenge.credential_version }, attempt, ["pwd", factor], client);
  }

  /** Starts the session as of `owner.credentialVersion`, the version the password was checked at. */
  private async completeLogin(owner: SessionOwner, attempt: LoginAttempt, amr: string[], client: ClientInfo): Promise<AuthResult> {
    await attempt.succeeded();
    const { user } = owner;
    const session = await this.sessions.start(owner, client, { amr });
    await this.events.record({ type: "login_succeeded", userId: user.id, sessionId: session.session.id, ...client, detail: amr.join("+") });
    return this.issue(user, session);
  }

  async refresh(presented: string | undefined, client: ClientInfo): Promise<AuthResult> {
    await this.limited(this.limits.consumeRefresh(client.ip), client, "refresh");
    const rotated = await this.sessions.rotate(presented, client);
    return this.issue(rotated.owner, rotated);
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

  /**
   * OWASP ASVS 7.4.3: a password change ends every session of the account, the caller's own
   * included (a copy of its tokens may be what the change is for), and the caller goes on in a
   * new session that the answer carries.
   */
  async changePassword(
    viewer: Viewer,
    input: { currentPassword: string; newPassword: string; totpCode?: string | null | undefined },
    client: ClientInfo,
  ): Promise<AuthResult> {
    const { account: current, factor } = await this.proof.prove(viewer, input.currentPassword, input.totpCode, client, "change_password");
    const passwordHash = await this.users.hashNewPassword(current.user, input.newPassword);
    const account = await this.passwords.replace(current.user.id, passwordHash, "password_changed", {
      fromVersion: current.credentialVersion,
    });
    // Another change came first and ended this session with the others.
    if (!account) throw AuthError.unauthenticated("SESSION_REVOKED");
    const { user } = account;
    await this.events.record({ type: "password_changed", userId: user.id, sessionId: viewer.sessionId, ...client });
    // OWASP ASVS 6.3.7: the owner hears of a password change they may not have made.
    await this.outbox.send(user.id, "password_changed", mails.passwordChanged(user.email));
    const amr = factor ? ["pwd", factor] : ["pwd"];
    return this.issue(user, await this.sessions.start(account, client, { amr }));
  }

  /** Checks the password, then refuses with TOTP already on, before making a new secret. */
  async beginTotpEnrollment(viewer: Viewer, currentPassword: string, client: ClientInfo): Promise<TotpEnrollmentOffer> {
    await this.mfa.refuseIfEnabled(viewer.userId);
    const { account } = await this.proof.prove(viewer, currentPassword, undefined, client, "mfa_enrollment");
    return this.mfa.begin(account.user, client);
  }

  /** Proves the new authenticator and turns MFA on; the owner is told by mail (ASVS 6.3.7). */
  async confirmTotpEnrollment(viewer: Viewer, code: string, client: ClientInfo): Promise<string[]> {
    const codes = await this.mfa.confirm(viewer.userId, code, client);
    await this.notify(viewer.userId, "mfa_enabled", mails.mfaEnabled);
    return codes;
  }

  /** A current code is a second proof of presence: a stolen access token alone cannot remove the factor. */
  async disableTotp(viewer: Viewer, code: string, client: ClientInfo): Promise<boolean> {
    const disabled = await this.proof.withCode(viewer, code, client, "disable_mfa", () => this.mfa.disable(viewer.userId, code, client));
    if (disabled) await this.notify(viewer.userId, "mfa_disabled", mails.mfaDisabled);
    return disabled;
  }

  /** Mails the account's owner a notice of a security change they may not have made (ASVS 6.3.7). */
  private async notify(userId: string, purpose: MailPurpose, mail: (to: string) => OutgoingMail): Promise<void> {
    const user = await this.users.findById(userId);
    if (user) await this.outbox.send(user.id, purpose, mail(user.email));
  }

  async regenerateRecoveryCodes(viewer: Viewer, code: string, client: ClientInfo): Promise<string[]> {
    return this.proof.withCode(viewer, code, client, "regenerate_codes", () =>
      this.mfa.regenerateRecoveryCodes(viewer.userId, code, client),
    );
  }

  /** Access token and refresh cookie for a session just started, rotated or reissued. */
  issue(user: User, rotated: RotatedSession): AuthResult {
    const { session, refreshToken } = rotated;
    const access = this.accessTokens.issue(
      {
        userId: user.id,
        sessionId: session.id,
        roles: user.roles,
        username: user.username,
        email: user.email,
        ...(session.idp ? { idp: session.idp } : {}),
        amr: session.amr,
        emailVerified: user.emailVerified,
      },
      session.expiresAt,
    );
    return { accessToken: access.token, expiresIn: access.expiresIn, user, refreshToken, sessionExpiresAt: session.expiresAt };
  }

  private limited<T>(check: Promise<T>, client: ClientInfo, what: string, userId?: string): Promise<T> {
    return auditedLimit(this.events, check, what, client, userId);
  }
}
