import { AuthError } from "../errors.js";
import type { AuthEvents } from "../events/auth-events.js";
import type { RateLimits } from "../limits/rate-limits.js";
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
    private readonly allowSignup: boolean,
  ) {}

  async signUp(input: NewUser, client: ClientInfo): Promise<AuthResult> {
    if (!this.allowSignup) throw AuthError.forbidden("Sign-up is disabled");
    await this.limited(this.limits.consumeSignUp(client.ip), client, "signup");
    const user = await this.users.create(input);
    await this.events.record({ type: "signup", userId: user.id, ...client });
    return this.issue(user, await this.sessions.start(user.id, client));
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
    await attempt.succeeded();
    const { user } = result;
    const session = await this.sessions.start(user.id, client);
    await this.events.record({ type: "login_succeeded", userId: user.id, sessionId: session.session.id, ...client });
    if (result.rehashed) await this.events.record({ type: "password_rehashed", userId: user.id, ...client });
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
  async changePassword(viewer: Viewer, currentPassword: string, newPassword: string, client: ClientInfo): Promise<AuthResult> {
    refuseControlCharacters("currentPassword", currentPassword);
    const attempt = await this.limited(this.limits.beginLoginAttempt(`user:${viewer.userId}`, client.ip), client, "change_password");
    const current = await this.users.verifyPassword(viewer.userId, currentPassword);
    // The current password matched: that proof resets the count, as a successful login does, so
    // retrying a refused new password never locks anyone out.
    await attempt.succeeded();
    const user = await this.users.setPassword(current, newPassword);
    await this.sessions.endAll(user.id, "password_changed", client, viewer.sessionId);
    await this.events.record({ type: "password_changed", userId: user.id, sessionId: viewer.sessionId, ...client });
    return this.issue(user, await this.sessions.reissue(user.id, viewer.sessionId, client));
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
