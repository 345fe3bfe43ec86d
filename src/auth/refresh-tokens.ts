import { createHmac, createSecretKey, type KeyObject, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * Refresh tokens are `<session id>.<generation>.<MAC>`, the MAC being HMAC-SHA256 under a server
 * key over the session id, the generation and a random per-session seed. So:
 * - the store holds no token, only the seed, which is useless without the server key (a copy of
 *   the database alone logs nobody in);
 * - the server can re-issue the exact successor of a token during the reuse grace window without
 *   ever storing it (RFC 9700 §4.14.2, refresh token rotation);
 * - a guessed or tampered token fails the MAC before it can touch any session.
 * The MAC carries 256 bits; the seed 256 bits of randomness.
 */
export interface ParsedRefreshToken {
  readonly sessionId: string;
  readonly generation: number;
  readonly mac: Buffer;
}

// Canonical forms only (no leading zeros, no spare base64url bits), so one token has one spelling.
const FORMAT = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(0|[1-9]\d{0,8})\.([A-Za-z0-9_-]{43})$/;

export class RefreshTokens {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, "utf8"));
  }

  static newSeed(): string {
    return randomBytes(32).toString("base64url");
  }

  mint(sessionId: string, generation: number, seed: string): string {
    return `${sessionId}.${generation}.${this.mac(sessionId, generation, seed).toString("base64url")}`;
  }

  /** Shape only; says nothing about authenticity until `matches`. */
  static parse(token: string | undefined): ParsedRefreshToken | undefined {
    const match = typeof token === "string" ? FORMAT.exec(token) : null;
    if (!match) return undefined;
    const mac = Buffer.from(match[3] as string, "base64url");
    if (mac.toString("base64url") !== match[3]) return undefined;
    return { sessionId: match[1] as string, generation: Number(match[2]), mac };
  }

  /** Constant-time comparison (OWASP ASVS 11.2.4). */
  matches(token: ParsedRefreshToken, seed: string): boolean {
    const expected = this.mac(token.sessionId, token.generation, seed);
    return token.mac.length === expected.length && timingSafeEqual(token.mac, expected);
  }

  private mac(sessionId: string, generation: number, seed: string): Buffer {
    return createHmac("sha256", this.key).update(`refresh-token\u0000${sessionId}\u0000${generation}\u0000${seed}`).digest();
  }
}
