import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";

/** An account at the test provider. */
export interface ProviderAccount {
  readonly sub: string;
  readonly email: string;
  readonly email_verified: boolean;
  readonly preferred_username?: string;
  /** The address only at userinfo, as some providers do with a plain `openid` token. */
  readonly emailOnlyInUserinfo?: boolean;
}

/** What the next ID token gets wrong, for the broken-token cases. */
export type TokenFault = "bad-signature" | "wrong-audience" | "wrong-issuer" | "expired" | "wrong-nonce" | "alg-none";

/** How the next token request is answered, for an unwell provider. */
export type TokenEndpointMode = "normal" | "hang" | "garbage" | "server-error";

interface Grant {
  readonly account: ProviderAccount;
  readonly redirectUri: string;
  readonly challenge: string;
  readonly nonce: string;
}

export const TEST_CLIENT = { id: "graphql-auth-api", secret: "test-client-secret-0123456789abcdef" } as const;

/**
 * A small OpenID provider on a loopback port, with real discovery, an RS256 JWKS and signed ID
 * tokens: the authorization endpoint shows a sign-in form (one button per account, for HTTP
 * clients and Chromium alike), the token endpoint checks client_secret_basic, the redirect URI, the
 * PKCE S256 verifier and that each code is used once. `fault` and `tokenEndpoint` make it misbehave
 * for exactly one exchange each.
 */
export class OidcTestProvider {
  issuer = "";
  fault: TokenFault | undefined;
  tokenEndpoint: TokenEndpointMode = "normal";
  /** Answers the next discovery request with a 503, as a provider in the middle of a deploy. */
  discoveryDown = false;
  /** How many times the discovery document was asked for. */
  discoveries = 0;
  /** How many token requests reached the provider. */
  tokenRequests = 0;
  private readonly accounts = new Map<string, ProviderAccount>();
  private readonly interactions = new Map<string, URLSearchParams>();
  private readonly grants = new Map<string, Grant>();
  private readonly accessTokens = new Map<string, ProviderAccount>();
  private readonly hanging = new Set<ServerResponse>();
  private server: Server | undefined;

  private constructor(
    private readonly key: CryptoKey,
    private readonly otherKey: CryptoKey,
    private readonly jwk: JWK,
  ) {}

  static async start(): Promise<OidcTestProvider> {
    const { privateKey, publicKey } = await generateKeyPair("RS256");
    const other = await generateKeyPair("RS256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
    const provider = new OidcTestProvider(privateKey, other.privateKey, jwk);
    const server = createServer((req, res) => {
      provider.handle(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    provider.server = server;
    provider.issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return provider;
  }

  addAccount(account: ProviderAccount): ProviderAccount {
    this.accounts.set(account.sub, account);
    return account;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  /**
   * What a browser does at the provider: opens the authorization URL, signs in as `sub` on the
   * form, and follows the answer to the callback. Returns the callback URL (code, state, iss).
   */
  async signIn(authorizationUrl: string, sub: string): Promise<URL> {
    const page = await fetch(authorizationUrl);
    const html = await page.text();
    const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
    if (!interaction) throw new Error(`no sign-in form (${page.status}): ${html.slice(0, 200)}`);
    const answer = await fetch(`${this.issuer}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ interaction, sub }),
    });
    const location = answer.headers.get("location");
    if (answer.status !== 302 || !location) throw new Error(`sign-in refused (${answer.status}): ${await answer.text()}`);
    return new URL(location);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.issuer);
    if (url.pathname === "/.well-known/openid-configuration") {
      this.discoveries += 1;
      const down = this.discoveryDown;
      this.discoveryDown = false;
      json(res, down ? 503 : 200, down ? { error: "temporarily_unavailable" } : this.metadata());
      return;
    }
    if (url.pathname === "/jwks") {
      json(res, 200, { keys: [this.jwk] });
      return;
    }
    if (url.pathname === "/authorize") return this.authorize(url.searchParams, res);
    if (url.pathname === "/login" && req.method === "POST") return this.login(new URLSearchParams(await body(req)), res);
    if (url.pathname === "/token" && req.method === "POST") return this.token(req, new URLSearchParams(await body(req)), res);
    if (url.pathname === "/userinfo") return this.userinfo(req, res);
    json(res, 404, { error: "not_found" });
  }

  private metadata() {
    return {
      issuer: this.issuer,
      authorization_endpoint: `${this.issuer}/authorize`,
      token_endpoint: `${this.issuer}/token`,
      userinfo_endpoint: `${this.issuer}/userinfo`,
      jwks_uri: `${this.issuer}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["client_secret_basic"],
      scopes_supported: ["openid", "email", "profile"],
      authorization_response_iss_parameter_supported: true,
    };
  }

  /** The sign-in page: refuses what a real provider refuses before showing it. */
  private authorize(params: URLSearchParams, res: ServerResponse): void {
    const problems = [
      params.get("client_id") !== TEST_CLIENT.id && "unknown client_id",
      params.get("response_type") !== "code" && "response_type must be code",
      params.get("code_challenge_method") !== "S256" && "PKCE S256 required",
      !params.get("code_challenge") && "code_challenge missing",
      !params.get("nonce") && "nonce missing",
      !params.get("state") && "state missing",
      !params.get("scope")?.split(" ").includes("openid") && "scope must include openid",
    ].filter(Boolean);
    if (problems.length > 0) {
      json(res, 400, { error: "invalid_request", error_description: problems.join("; ") });
      return;
    }
    const interaction = randomBytes(16).toString("hex");
    this.interactions.set(interaction, params);
    const buttons = [...this.accounts.values()]
      .map((a) => `<button type="submit" name="sub" value="${a.sub}">Continue as ${a.email}</button>`)
      .join("\n");
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>Test ID sign-in</title><form method="post" action="/login">
<input type="hidden" name="interaction" value="${interaction}">${buttons}</form>`);
  }

  private login(form: URLSearchParams, res: ServerResponse): void {
    const params = this.interactions.get(form.get("interaction") ?? "");
    const account = this.accounts.get(form.get("sub") ?? "");
    if (!params || !account) {
      json(res, 400, { error: "invalid_request" });
      return;
    }
    this.interactions.delete(form.get("interaction") ?? "");
    const code = randomBytes(24).toString("base64url");
    this.grants.set(code, {
      account,
      redirectUri: params.get("redirect_uri") ?? "",
      challenge: params.get("code_challenge") ?? "",
      nonce: params.get("nonce") ?? "",
    });
    const target = new URL(params.get("redirect_uri") ?? "");
    target.searchParams.set("code", code);
    target.searchParams.set("state", params.get("state") ?? "");
    target.searchParams.set("iss", this.issuer);
    res.writeHead(302, { location: target.href });
    res.end();
  }

  private async token(req: IncomingMessage, form: URLSearchParams, res: ServerResponse): Promise<void> {
    this.tokenRequests += 1;
    const mode = this.tokenEndpoint;
    this.tokenEndpoint = "normal";
    if (mode === "hang") {
      this.hanging.add(res);
      return;
    }
    if (mode === "garbage") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>{ not json");
      return;
    }
    if (mode === "server-error") {
      json(res, 503, { error: "temporarily_unavailable" });
      return;
    }
    if (!clientAuthenticated(req.headers.authorization)) {
      json(res, 401, { error: "invalid_client" });
      return;
    }
    const code = form.get("code") ?? "";
    const grant = this.grants.get(code);
    // RFC 6749 §4.1.2: a code is used once.
    this.grants.delete(code);
    if (!grant || form.get("grant_type") !== "authorization_code" || form.get("redirect_uri") !== grant.redirectUri) {
      json(res, 400, { error: "invalid_grant" });
      return;
    }
    const verifier = form.get("code_verifier") ?? "";
    if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
      json(res, 400, { error: "invalid_grant", error_description: "PKCE verification failed" });
      return;
    }
    const accessToken = randomBytes(24).toString("base64url");
    this.accessTokens.set(accessToken, grant.account);
    json(res, 200, { access_token: accessToken, token_type: "Bearer", expires_in: 300, id_token: await this.idToken(grant) });
  }

  private async idToken(grant: Grant): Promise<string> {
    const fault = this.fault;
    this.fault = undefined;
    const { account } = grant;
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      nonce: fault === "wrong-nonce" ? "another-nonce" : grant.nonce,
      ...(account.emailOnlyInUserinfo ? {} : { email: account.email, email_verified: account.email_verified }),
      ...(account.preferred_username ? { preferred_username: account.preferred_username } : {}),
      amr: ["pwd"],
    };
    const jwt = new SignJWT(claims)
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .setIssuer(fault === "wrong-issuer" ? "http://127.0.0.1:1" : this.issuer)
      .setSubject(account.sub)
      .setAudience(fault === "wrong-audience" ? "another-client" : TEST_CLIENT.id)
      .setIssuedAt(fault === "expired" ? now - 7200 : now)
      .setExpirationTime(fault === "expired" ? now - 3600 : now + 300);
    const signed = await jwt.sign(fault === "bad-signature" ? this.otherKey : this.key);
    if (fault !== "alg-none") return signed;
    const [, payload] = signed.split(".");
    return `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${payload}.`;
  }

  private userinfo(req: IncomingMessage, res: ServerResponse): void {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const account = token ? this.accessTokens.get(token) : undefined;
    if (!account) {
      json(res, 401, { error: "invalid_token" });
      return;
    }
    json(res, 200, { sub: account.sub, email: account.email, email_verified: account.email_verified });
  }
}

/** RFC 6749 §2.3.1: client_secret_basic, each half form-urlencoded before base64. */
function clientAuthenticated(header: string | undefined): boolean {
  const encoded = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header ?? "")?.[1];
  if (!encoded) return false;
  const [id = "", secret = ""] = Buffer.from(encoded, "base64").toString("utf8").split(":");
  const decode = (part: string) => decodeURIComponent(part.replace(/\+/g, " "));
  return decode(id) === TEST_CLIENT.id && decode(secret) === TEST_CLIENT.secret;
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(value));
}

async function body(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
