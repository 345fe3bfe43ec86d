import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Viewer } from "../auth/access-tokens.js";
import type { AuthResult, AuthService } from "../auth/auth-service.js";
import type { ClientInfo } from "../auth/client-info.js";
import type { SessionService } from "../auth/session-service.js";
import type { Clock } from "../clock.js";
import { AuthError } from "../errors.js";
import type { AuthEvents } from "../events/auth-events.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import type { Account } from "../users/account.js";
import type { User } from "../users/user.js";
import { refuseControlCharacters } from "../users/user-rules.js";
import type { UserService } from "../users/user-service.js";
import type { IdentityRepository } from "./identity-repository.js";
import type { LinkedIdentity } from "./linked-identity.js";
import type { OidcLoginRepository } from "./oidc-login-repository.js";
import type { OidcClaims, OidcProtocol } from "./oidc-protocol.js";
import type { OidcSettings } from "./oidc-settings.js";
import { OIDC_LOGIN_TTL_MS } from "./oidc-state-cookie.js";

export interface OidcCallback {
  readonly provider: string;
  readonly code: string;
  readonly state: string;
  readonly redirectUri: string;
  readonly iss?: string | null | undefined;
}

/** Longest value accepted for any callback parameter; real codes and states are far shorter. */
const MAX_PARAMETER_LENGTH = FIELD_LIMITS.redirectUri;

/**
 * "Sign in with …": starts and completes OpenID Connect logins, links provider identities to
 * accounts without letting an unverified address take one over, and unlinks them.
 */
export class OidcService {
  private readonly redirectUris: ReadonlySet<string>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly protocol: OidcProtocol,
    private readonly logins: OidcLoginRepository,
    private readonly identities: IdentityRepository,
    private readonly users: UserService,
    private readonly sessions: SessionService,
    private readonly auth: AuthService,
    private readonly events: AuthEvents,
    private readonly clock: Clock,
    private readonly allowSignup: boolean,
  ) {
    this.redirectUris = new Set(settings.redirectUris);
  }

  providers(): { id: string; name: string }[] {
    return this.settings.providers.map(({ id, name }) => ({ id, name }));
  }

  /**
   * The provider's authorization URL, and the cookie value that names this sign-in. Each start
   * stores a pending record, so it counts in the IP's login budget like the completion.
   */
  async start(provider: string, redirectUri: string, client: ClientInfo): Promise<{ url: string; cookie: string }> {
    await this.auth.countLoginRequest(client, "start_oidc_login");
    this.checkProvider(provider);
    this.checkRedirectUri(redirectUri);
    const checks = await this.protocol.newChecks(redirectUri);
    const url = await this.protocol.authorizationUrl(provider, checks);
    const cookie = randomBytes(32).toString("base64url");
    const now = this.clock.now();
    await this.logins.deleteExpired(now);
    await this.logins.insert({
      id: loginId(cookie),
      provider,
      state: checks.state,
      nonce: checks.nonce,
      code_verifier: checks.codeVerifier,
      redirect_uri: redirectUri,
      expires_at: now + OIDC_LOGIN_TTL_MS,
    });
    return { url, cookie };
  }

  /**
   * Completes the sign-in the cookie names, once: the pending record is consumed whatever happens
   * next, and must match the provider, state and redirect URI (login CSRF, RFC 9700 §4.7).
   */
  async complete(callback: OidcCallback, cookie: string | undefined, client: ClientInfo): Promise<AuthResult> {
    await this.auth.countLoginRequest(client, "complete_oidc_login");
    this.checkProvider(callback.provider);
    for (const field of ["code", "state", "redirectUri", "iss"] as const) {
      const value = callback[field];
      if (value === undefined || value === null) continue;
      refuseControlCharacters(field, value);
      if (value.length > MAX_PARAMETER_LENGTH) throw AuthError.badInput(field, `${field} is too long`);
    }
    const pending = cookie === undefined ? undefined : await this.logins.take(loginId(cookie));
    if (
      !pending ||
      pending.expires_at <= this.clock.now() ||
      pending.provider !== callback.provider ||
      pending.redirect_uri !== callback.redirectUri ||
      !sameText(pending.state, callback.state)
    ) {
      throw AuthError.unauthenticated("OIDC_STATE_INVALID");
    }
    const claims = await this.protocol.exchange(
      callback.provider,
      { code: callback.code, state: callback.state, ...(callback.iss ? { iss: callback.iss } : {}) },
      { redirectUri: pending.redirect_uri, state: pending.state, nonce: pending.nonce, codeVerifier: pending.code_verifier },
    );
    const account = await this.accountFor(callback.provider, claims, client);
    await this.auth.requireSecondFactorIfEnabled(account, client);
    const session = await this.sessions.start(account, client, { idp: callback.provider, ...(claims.amr ? { amr: claims.amr } : {}) });
    await this.events.record({
      type: "login_succeeded",
      userId: account.user.id,
      sessionId: session.session.id,
      ...client,
      detail: `oidc:${callback.provider}`,
    });
    return this.auth.issue(account.user, session);
  }

  linked(viewer: Viewer): Promise<LinkedIdentity[]> {
    return this.identities.listForUser(viewer.userId);
  }

  /** False when nothing is linked at that provider; never removes the account's last way in. */
  async unlink(viewer: Viewer, provider: string, client: ClientInfo): Promise<boolean> {
    refuseControlCharacters("provider", provider);
    const outcome = await this.identities.deleteUnlessLast(viewer.userId, provider);
    if (outcome === "last") throw AuthError.forbiddenBecause("LAST_SIGN_IN_METHOD");
    if (outcome === "absent") return false;
    await this.events.record({
      type: "identity_unlinked",
      userId: viewer.userId,
      sessionId: viewer.sessionId,
      ...client,
      detail: provider,
    });
    return true;
  }

  /**
   * The account these claims sign in to. The identity (provider, sub) decides, never the address:
   * an address links an existing account only when the provider vouches for it and the account
   * has proven it too, or anyone who can register that address at some provider would take the
   * account over (OWASP ASVS 6.8.1; the "pre-account takeover" attacks of Sudhodanan & Paverd 2022).
   */
  private async accountFor(provider: string, claims: OidcClaims, client: ClientInfo): Promise<Account> {
    const linked = await this.identities.find(provider, claims.subject);
    if (linked) {
      const account = await this.users.findAccount(linked.user_id);
      if (account) return account;
    }
    const existing = await this.users.findByEmail(claims.email);
    if (existing) {
      // Proven here by a mailed link (or an operator vouching for it).
      if (!claims.emailVerified || !existing.user.emailVerified) {
        await this.events.record({ type: "login_failed", userId: existing.user.id, ...client, detail: `oidc:${provider} account exists` });
        throw AuthError.forbiddenBecause("ACCOUNT_EXISTS");
      }
      await this.link(existing.user, provider, claims, client);
      return existing;
    }
    if (!this.allowSignup) throw AuthError.forbidden("Sign-up is disabled");
    const created = await this.users.createWithoutPassword(
      claims.preferredUsername ?? claims.email.split("@")[0] ?? "",
      claims.email,
      claims.emailVerified,
    );
    if (!created) throw AuthError.forbiddenBecause("ACCOUNT_EXISTS");
    await this.events.record({ type: "signup", userId: created.user.id, ...client, detail: `oidc:${provider}` });
    await this.link(created.user, provider, claims, client);
    return created;
  }

  private async link(user: User, provider: string, claims: OidcClaims, client: ClientInfo): Promise<void> {
    try {
      await this.identities.insert({
        provider,
        subject: claims.subject,
        user_id: user.id,
        email: claims.email,
        created_at: this.clock.now(),
      });
    } catch (error) {
      // Linked meanwhile by a racing request (fine when to this user), or the account already has
      // another identity at this provider (a second account there must not slip in beside it).
      const now = await this.identities.find(provider, claims.subject);
      if (now?.user_id === user.id) return;
      if (now || (await this.identities.listForUser(user.id)).some((i) => i.provider === provider)) {
        throw AuthError.forbiddenBecause("ACCOUNT_EXISTS");
      }
      throw error;
    }
    await this.events.record({ type: "identity_linked", userId: user.id, ...client, detail: provider });
  }

  private checkProvider(provider: string): void {
    if (!this.protocol.has(provider)) throw AuthError.badInput("provider", "provider is not one of oidcProviders");
  }

  /** RFC 9700 §4.1.3: exact string comparison, no prefix, pattern or normalisation. */
  private checkRedirectUri(redirectUri: string): void {
    if (!this.redirectUris.has(redirectUri)) throw AuthError.badInput("redirectUri", "redirectUri is not one of the allowed redirect URIs");
  }
}

/** The server-side key of a pending sign-in: a hash, so the table alone cannot complete one. */
function loginId(cookie: string): string {
  return createHash("sha256").update(cookie).digest("base64url");
}

function sameText(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
