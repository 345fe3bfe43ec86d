import type * as OpenId from "openid-client";
import { AuthError } from "../errors.js";
import type { Logger } from "../logger.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import { checkEmail } from "../users/user-rules.js";
import type { OidcProviderSettings, OidcSettings } from "./oidc-settings.js";

/** What a validated ID token (and, when it lacks an address, the userinfo answer) says about the user. */
export interface OidcClaims {
  readonly subject: string;
  readonly email: string;
  /** True only when the provider said so with a boolean `email_verified: true`. */
  readonly emailVerified: boolean;
  readonly preferredUsername: string | undefined;
  /** RFC 8176 method references from the ID token, when it carries them. */
  readonly amr: readonly string[] | undefined;
}

/** The values startOidcLogin made, which the token exchange must present again. */
export interface AuthorizationChecks {
  readonly redirectUri: string;
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

type OpenIdClient = typeof OpenId;

/**
 * openid-client, loaded at the first sign-in: a deployment with no providers, the common case,
 * never holds it (issue 8: the service's idle heap sets its peak RSS).
 */
const openIdClient = (): Promise<OpenIdClient> => import("openid-client");

/** OpenID Connect 1.0 scopes the contract asks for. */
const SCOPE = "openid email profile";

/**
 * The protocol side of "Sign in with …", through openid-client (panva, a certified relying party):
 * discovery (cached per provider, dropped when anything fails so the next try discovers again),
 * authorization code with PKCE S256, client authentication at the token endpoint, and full ID token
 * validation, signature included (enableNonRepudiationChecks: without it openid-client v6 relies on
 * TLS to the token endpoint alone). Every request is bounded by OIDC_HTTP_TIMEOUT. Whatever fails
 * is logged here and surfaces as UNAUTHENTICATED OIDC_FAILED, never as a 5xx.
 */
export class OidcProtocol {
  private readonly configurations = new Map<string, Promise<OpenId.Configuration>>();
  private readonly providers: ReadonlyMap<string, OidcProviderSettings>;

  constructor(
    private readonly settings: OidcSettings,
    private readonly logger: Logger,
  ) {
    this.providers = new Map(settings.providers.map((p) => [p.id, p]));
  }

  has(providerId: string): boolean {
    return this.providers.has(providerId);
  }

  /** Fresh state, nonce and PKCE verifier: 256 random bits each, above the 128 RFC 9700 §4.7.1 asks. */
  async newChecks(redirectUri: string): Promise<AuthorizationChecks> {
    const client = await openIdClient();
    return { redirectUri, state: client.randomState(), nonce: client.randomNonce(), codeVerifier: client.randomPKCECodeVerifier() };
  }

  /** The URL to send the browser to (response_type=code, PKCE S256, state, nonce). */
  async authorizationUrl(providerId: string, checks: AuthorizationChecks): Promise<string> {
    return this.guard(providerId, "authorization request", async (config, client) => {
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: checks.redirectUri,
        scope: SCOPE,
        state: checks.state,
        nonce: checks.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(checks.codeVerifier),
        code_challenge_method: "S256",
      });
      return url.href;
    });
  }

  /** Trades the code for tokens and returns the validated claims; OIDC_FAILED on any failure. */
  async exchange(
    providerId: string,
    response: { code: string; state: string; iss?: string },
    checks: AuthorizationChecks,
  ): Promise<OidcClaims> {
    return this.guard(providerId, "token exchange", async (config, client) => {
      // The authorization response as the callback page received it (RFC 9207: iss when given).
      const callback = new URL(checks.redirectUri);
      callback.searchParams.set("code", response.code);
      callback.searchParams.set("state", response.state);
      if (response.iss !== undefined) callback.searchParams.set("iss", response.iss);
      const tokens = await client.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: checks.codeVerifier,
        expectedState: checks.state,
        expectedNonce: checks.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims();
      if (!idToken) throw new Error("no ID token");
      let source: Record<string, unknown> = idToken;
      if (typeof idToken.email !== "string") {
        // OpenID Connect Core §5.4: the address may come only from userinfo; `sub` must match.
        source = await client.fetchUserInfo(config, tokens.access_token, idToken.sub);
      }
      if (typeof source.email !== "string" || source.email === "") throw new Error("the provider gave no email address");
      if (idToken.sub.length > FIELD_LIMITS.subject) throw new Error("sub longer than OpenID Connect allows");
      const amr = Array.isArray(idToken.amr) ? idToken.amr.filter((m): m is string => typeof m === "string") : undefined;
      return {
        subject: idToken.sub,
        // An address our own rules refuse is the provider's fault: OIDC_FAILED like any other.
        email: checkEmail(source.email),
        emailVerified: source.email_verified === true,
        preferredUsername: [idToken.preferred_username, source.preferred_username].find((n): n is string => typeof n === "string"),
        amr,
      };
    });
  }

  /** Runs one protocol step against the provider's (cached) configuration; logs and masks failures. */
  private async guard<T>(
    providerId: string,
    step: string,
    run: (config: OpenId.Configuration, client: OpenIdClient) => Promise<T>,
  ): Promise<T> {
    const client = await openIdClient();
    try {
      return await run(await this.configuration(client, providerId), client);
    } catch (error) {
      // A protocol answer (bad code, bad token) says nothing about stale metadata; anything else
      // (network, timeout, garbage) might, so the next attempt discovers afresh.
      if (!(error instanceof client.ResponseBodyError) && !(error instanceof client.AuthorizationResponseError)) {
        this.configurations.delete(providerId);
      }
      this.logger.warn({ provider: providerId, step, failure: describe(error) }, "OpenID Connect sign-in failed");
      throw AuthError.unauthenticated("OIDC_FAILED");
    }
  }

  private configuration(client: OpenIdClient, providerId: string): Promise<OpenId.Configuration> {
    const cached = this.configurations.get(providerId);
    if (cached) return cached;
    const provider = this.providers.get(providerId);
    if (!provider) return Promise.reject(new Error(`unknown provider ${providerId}`));
    const issuer = new URL(provider.issuer);
    const execute = [client.enableNonRepudiationChecks];
    // Only reachable outside production: config refuses http:// issuers there.
    if (issuer.protocol === "http:") execute.push(client.allowInsecureRequests);
    const discovered = client.discovery(issuer, provider.clientId, undefined, client.ClientSecretBasic(provider.clientSecret), {
      execute,
      timeout: this.settings.httpTimeoutMs / 1000,
    });
    this.configurations.set(providerId, discovered);
    discovered.catch(() => {
      if (this.configurations.get(providerId) === discovered) this.configurations.delete(providerId);
    });
    return discovered;
  }
}

/** The failure's kind and message for the log; never a token, a code or a response body. */
function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const details: Record<string, unknown> = { name: error.name, message: error.message };
  const { code, error: oauthError } = error as { code?: unknown; error?: unknown };
  if (typeof code === "string") details.code = code;
  if (typeof oauthError === "string") details.error = oauthError;
  if (error.cause instanceof Error) details.cause = `${error.cause.name}: ${error.cause.message}`;
  return details;
}
