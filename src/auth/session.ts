/**
 * A session as the app outside auth/ sees it, GraphQL included: what the schema's `Session` shows
 * and what access tokens say about their login. No refresh seed, generation or credential version.
 * Times are epoch milliseconds.
 */
export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  /** Idle expiry: last refresh + REFRESH_TOKEN_TTL, never past the absolute limit. */
  readonly expiresAt: number;
  readonly userAgent: string | null;
  readonly ipAddress: string | null;
  /** The OpenID provider the session signed in through; null for a password login. */
  readonly idp: string | null;
  /** RFC 8176 method references of the login, e.g. ["pwd", "otp"]; empty when none were given. */
  readonly amr: readonly string[];
}

/**
 * A session with the state its refresh tokens rotate by: only the session service and its
 * repository hold one; what leaves them is `record.session`.
 */
export interface SessionRecord {
  readonly session: Session;
  /** Random per-session value mixed into the refresh-token MAC; useless without the server key. */
  readonly seed: string;
  /** The generation of the one refresh token that currently rotates the session. */
  readonly generation: number;
  readonly absoluteExpiresAt: number;
  /** Until when the immediate parent generation may be replayed to get the same successor. */
  readonly parentValidUntil: number;
  readonly revokedAt: number | null;
  /** The account's credential version when the session was made; refreshes need it still current. */
  readonly credentialVersion: number;
}
