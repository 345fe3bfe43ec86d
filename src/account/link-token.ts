import { createHash, randomBytes } from "node:crypto";

/** 256 bits from the CSPRNG (OWASP Forgot Password Cheat Sheet asks at least 128; ASVS 6.4.2). */
const TOKEN_BYTES = 32;
/** base64url of 32 bytes, unpadded: exactly 43 characters of this alphabet. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A single-use token for a mailed link: the value goes into the mail, only its hash into the store. */
export interface LinkToken {
  readonly value: string;
  readonly hash: string;
}

export function mintLinkToken(): LinkToken {
  const value = randomBytes(TOKEN_BYTES).toString("base64url");
  return { value, hash: hashLinkToken(value) };
}

/**
 * SHA-256 is enough here: the token has 256 bits of entropy, so nothing can be guessed from its
 * hash, and a copy of the store alone holds no usable link (ASVS 6.4.2, as for refresh tokens).
 */
export function hashLinkToken(value: string): string {
  return createHash("sha256").update(value, "utf8").digest("base64url");
}

/**
 * Whether a presented value can be one of ours. Anything else (empty, kilobytes long, control
 * characters, another alphabet) is refused as LINK_INVALID before it reaches the store.
 */
export function isWellFormedLinkToken(value: string): boolean {
  return TOKEN_SHAPE.test(value);
}
