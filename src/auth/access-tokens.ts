import { randomUUID } from "node:crypto";
import jwt from "jsonwebtoken";
import { BoundedMap } from "../bounded-map.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { AuthFailureReason } from "../errors.js";
import { isRole, type Role } from "../users/roles.js";
import type { SigningKeys } from "./signing-keys.js";

/** Who a valid access token speaks for. */
export interface Viewer {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  readonly username: string;
  readonly email: string;
  readonly tokenId: string;
  /** Epoch seconds. */
  readonly expiresAt: number;
  /** RFC 8176 authentication methods of the session's login, e.g. ["pwd", "otp"]. */
  readonly amr: readonly string[];
}

export type VerifyResult =
  | { ok: true; viewer: Viewer }
  | { ok: false; reason: Extract<AuthFailureReason, "TOKEN_EXPIRED" | "TOKEN_INVALID"> };

/** Whom a token is issued to; `idp` and `amr` say how the session was signed in, when known. */
export interface TokenSubject {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  readonly username: string;
  readonly email: string;
  /** Whether a mailed link (or an operator) proved the address, as the `email_verified` claim. */
  readonly emailVerified: boolean;
  /** The OpenID provider the session signed in through. */
  readonly idp?: string;
  /** RFC 8176 authentication method references, from the provider's ID token. */
  readonly amr?: readonly string[];
}

export interface IssuedAccessToken {
  readonly token: string;
  readonly expiresIn: number;
}

/** RFC 9068 §2.1: access tokens are typed, so no other JWT from the same key passes as one. */
const ACCESS_TOKEN_TYPE = "at+jwt";
/** A real token is under 1 KB; anything far larger is refused before any parsing work. */
const MAX_TOKEN_LENGTH = 4096;
/**
 * The only header members our tokens carry. A token naming its own key (`jwk`, `jku`, `x5u`,
 * `x5c`), changing how its signature is computed (`b64`) or demanding extensions (`crit`, which
 * RFC 7515 §4.1.11 says must be refused when not understood) is not one of ours (RFC 8725 §3.10).
 */
const HEADER_MEMBERS: ReadonlySet<string> = new Set(["alg", "typ", "kid"]);
/** Tokens remembered after passing: enough for every client of a busy instance, ~6 MB at most. */
const VERIFIED_TOKENS_KEPT = 4096;

/** A token that passed the full check, and its `iat` (epoch seconds). */
interface VerifiedToken {
  readonly viewer: Viewer;
  readonly issuedAt: number;
}

export class AccessTokens {
  /**
   * Tokens that passed, by their exact text. A client sends one token on every request until it
   * expires, and checking it again cost ~18% of a `me` (issue 8: ~90 µs of CPU in the running
   * server). A token differing in any byte is checked in full; refused ones are never kept; a
   * kept one still has its lifetime checked on every request. Keys are fixed for the process's
   * life, so nothing else can make a kept result stale. Revocation is checked by the caller.
   */
  private readonly verified = new BoundedMap<string, VerifiedToken>(VERIFIED_TOKENS_KEPT);

  constructor(
    private readonly keys: SigningKeys,
    private readonly settings: Config["jwt"],
    private readonly clock: Clock,
  ) {}

  /** Signs a token for the session; it never outlives `notAfterMs`, the session's own expiry. */
  issue(subject: TokenSubject, notAfterMs: number): IssuedAccessToken {
    const now = Math.floor(this.clock.now() / 1000);
    const exp = Math.max(now + 1, Math.min(now + this.settings.accessTokenTtlSeconds, Math.floor(notAfterMs / 1000)));
    const { current } = this.keys;
    const token = jwt.sign(
      {
        sub: subject.userId,
        sid: subject.sessionId,
        roles: subject.roles,
        username: subject.username,
        email: subject.email,
        ...(subject.idp ? { idp: subject.idp } : {}),
        ...(subject.amr && subject.amr.length > 0 ? { amr: subject.amr } : {}),
        // OIDC Core §5.1: as it stood when the token was made; a refresh brings the new value.
        email_verified: subject.emailVerified,
        iat: now,
        exp,
        iss: this.settings.issuer,
        aud: this.settings.audience,
        jti: randomUUID(),
      },
      current.signingKey,
      { algorithm: current.algorithm, keyid: current.kid, header: { alg: current.algorithm, typ: ACCESS_TOKEN_TYPE } },
    );
    return { token, expiresIn: exp - now };
  }

  /**
   * RFC 8725 §3.1 and §3.8: the algorithm comes from our key, never from the token; issuer,
   * audience, type, expiry and issue time are all required and checked.
   */
  verify(token: string): VerifyResult {
    const invalid = { ok: false, reason: "TOKEN_INVALID" } as const;
    if (token.length > MAX_TOKEN_LENGTH) return invalid;
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (this.withinLifetime(known.issuedAt, known.viewer.expiresAt, nowSeconds)) return { ok: true, viewer: known.viewer };
      // Past its lifetime: the full check below gives the reason.
      this.verified.delete(token);
    }
    const header = headerOf(token);
    if (!header || Object.keys(header).some((member) => !HEADER_MEMBERS.has(member))) return invalid;
    const typ = typeof header.typ === "string" ? header.typ.toLowerCase() : "";
    if (typ !== ACCESS_TOKEN_TYPE && typ !== `application/${ACCESS_TOKEN_TYPE}`) return invalid;
    if (header.kid !== undefined && typeof header.kid !== "string") return invalid;
    // The key comes from our fixed set by `kid`, never from the token; its algorithm is pinned.
    const key = header.kid === undefined ? this.keys.current : this.keys.byKid(header.kid);
    if (!key || header.alg !== key.algorithm) return invalid;

    let claims: jwt.JwtPayload;
    try {
      claims = jwt.verify(token, key.key, {
        algorithms: [key.algorithm],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockToleranceSeconds,
        clockTimestamp: nowSeconds,
      }) as jwt.JwtPayload;
    } catch (error) {
      return error instanceof jwt.TokenExpiredError ? { ok: false, reason: "TOKEN_EXPIRED" } : invalid;
    }
    // jsonwebtoken accepts tokens without `exp` and with `iat` in the future; we do not.
    if (typeof claims.exp !== "number" || typeof claims.iat !== "number" || !this.withinLifetime(claims.iat, claims.exp, nowSeconds)) {
      return invalid;
    }
    const { sub, sid, roles, username, email, jti, amr = [] } = claims as Record<string, unknown>;
    if (
      typeof sub !== "string" ||
      typeof sid !== "string" ||
      typeof username !== "string" ||
      typeof email !== "string" ||
      typeof jti !== "string"
    ) {
      return invalid;
    }
    if (!Array.isArray(roles) || !roles.every(isRole)) return invalid;
    // Tokens minted before amr existed carry none; they were password logins.
    if (!Array.isArray(amr) || !amr.every((method) => typeof method === "string")) return invalid;
    // Frozen: the same viewer serves every later request that presents this token.
    const viewer: Viewer = Object.freeze({
      userId: sub,
      sessionId: sid,
      roles: Object.freeze([...(roles as Role[])]),
      username,
      email,
      tokenId: jti,
      expiresAt: claims.exp,
      amr: Object.freeze([...(amr as string[])]),
    });
    this.verified.set(token, { viewer, issuedAt: claims.iat });
    return { ok: true, viewer };
  }

  /**
   * Issued no later than now and not yet expired, each within the clock tolerance: the bounds
   * jsonwebtoken applies to `exp`, with `iat` held to them too. Applied to fresh claims and to
   * every remembered token alike.
   */
  private withinLifetime(issuedAt: number, expiresAt: number, nowSeconds: number): boolean {
    const tolerance = this.settings.clockToleranceSeconds;
    return issuedAt <= nowSeconds + tolerance && nowSeconds < expiresAt + tolerance;
  }
}

/**
 * The JOSE header of a compact JWS, or undefined when it is not a JSON object. Only the header is
 * read before the signature is checked (it names the key); jsonwebtoken's verify then decodes the
 * payload itself, so decoding both here first was work done twice on every request.
 */
function headerOf(token: string): Record<string, unknown> | undefined {
  const end = token.indexOf(".");
  if (end <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, end), "base64url").toString("utf8"));
    return typeof header === "object" && header !== null && !Array.isArray(header) ? (header as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
