/**
 * The widths of stored text, in one place: the migrations declare the columns with them, the
 * services refuse or cut input to them, and the audit trail cuts its fields to them, so a value
 * that passed the rules always fits its column on PostgreSQL (which refuses, where SQLite would
 * store anything).
 *
 * Widening one takes a new migration that alters the column: the shipped migrations read these
 * values, so a fresh store is created at the new width and the new migration brings the others.
 */
export const FIELD_LIMITS = {
  /** RFC 4122 UUIDs: users, sessions, audit references. */
  id: 36,
  username: 32,
  /** RFC 5321 §4.5.3.1: the longest address a mail path can carry. */
  email: 254,
  /** Comma-separated role names. */
  roles: 64,
  /** The per-session refresh-token seed, base64url. */
  seed: 64,
  /** Session revocation reasons and audit event types. */
  label: 32,
  userAgent: 512,
  /** An IPv6 address with zone id fits well within it. */
  ipAddress: 64,
  auditDetail: 256,
  /** An OpenID provider's id in OIDC_PROVIDERS. */
  providerId: 32,
  /** OpenID Connect Core §2: `sub` is at most 255 ASCII characters. */
  subject: 255,
  /** The state, nonce and PKCE verifier of a pending sign-in (base64url of 32 random bytes is 43). */
  oidcCheck: 128,
  redirectUri: 2048,
  /** Comma-separated RFC 8176 method references of a session. */
  amr: 64,
  /** SHA-256 in hex: stored recovery codes and mfaTokens. */
  digest: 64,
  /** The public id of an MFA encryption key (12 base64url characters). */
  keyId: 32,
  /** A mailed link's token hash: SHA-256 in base64url is 43 characters. */
  linkTokenHash: 64,
  /** A failed mail delivery's error code (never its message). */
  mailError: 64,
  /** Not a column (the hash is): the longest password accepted, in code points after NFKC. */
  password: 256,
} as const;

/** `value` cut to the width of `field`'s column; null stays null. */
export function fitTo(field: keyof typeof FIELD_LIMITS, value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : value.slice(0, FIELD_LIMITS[field]);
}
