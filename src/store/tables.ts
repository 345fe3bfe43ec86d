import type { Generated, Selectable } from "kysely";

/**
 * Times are epoch milliseconds in a BIGINT column on both dialects, so comparisons and arithmetic
 * read the same in SQLite and PostgreSQL.
 */
export interface UsersTable {
  id: string;
  username: string;
  /** Lower-cased username: the unique key, so names are unique ignoring case. */
  username_key: string;
  email: string;
  email_key: string;
  password_hash: string;
  /** 1 once a mailed link proved the address (or an operator made the account), else 0. */
  email_verified: number;
  /** Comma-separated roles, e.g. "USER" or "USER,ADMIN". */
  roles: string;
  /** Moves on with every password change; sessions and login steps of an older one are void. */
  credential_version: number;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  /** Random per-session value mixed into the refresh-token MAC; useless without the server key. */
  seed: string;
  /** The generation of the one refresh token that currently rotates this session. */
  generation: number;
  created_at: number;
  last_used_at: number;
  /** Idle expiry: last refresh + REFRESH_TOKEN_TTL, capped by absolute_expires_at. */
  expires_at: number;
  absolute_expires_at: number;
  /** Until when the immediate parent generation may be replayed to get the same successor. */
  parent_valid_until: number;
  revoked_at: number | null;
  revoked_reason: string | null;
  user_agent: string | null;
  ip_address: string | null;
  /** The OpenID provider id of a session signed in through one; null for a password login. */
  idp: string | null;
  /** Comma-separated RFC 8176 method references carried into access tokens, or null. */
  amr: string | null;
  /** The account's credential_version when the session was made; refreshes need it still current. */
  credential_version: number;
}

/** One TOTP authenticator per user: pending until confirmed, then the account's second factor. */
export interface MfaFactorsTable {
  user_id: string;
  /** The base32 secret sealed with AES-256-GCM (see SecretKeyRing); never stored in the clear. */
  secret_sealed: string;
  /** Which MFA encryption key sealed it, so a rotated key still opens older secrets. */
  key_id: string;
  /** Null while the enrolment waits for its first code; MFA is on once set. */
  confirmed_at: number | null;
  /** The last RFC 6238 time step accepted, so no code is accepted twice (RFC 6238 §5.2). */
  last_step: number | null;
  created_at: number;
}

export interface MfaRecoveryCodesTable {
  /** SHA-256 of the normalised code; a code has 120 random bits, so a plain hash resists offline guessing (ASVS 6.5.2). */
  code_hash: string;
  user_id: string;
  created_at: number;
}

/** The second step of a login: what `extensions.mfaToken` stands for. */
export interface MfaChallengesTable {
  /** SHA-256 of the mfaToken; the token itself is only in the client's hands. */
  token_hash: string;
  user_id: string;
  /** The identifier the login was counted under, so code guesses count against the same limit. */
  login_key: string;
  /** The account's credential_version when the password was checked: a change voids the step. */
  credential_version: number;
  failures: number;
  expires_at: number;
  created_at: number;
}

export interface AuthEventsTable {
  id: Generated<number>;
  type: string;
  user_id: string | null;
  session_id: string | null;
  ip_address: string | null;
  user_agent: string | null;
  detail: string | null;
  created_at: number;
}

/** A provider account (issuer's `sub`) linked to a local user. */
export interface IdentitiesTable {
  provider: string;
  subject: string;
  user_id: string;
  /** The address the provider gave when the identity was linked; shown, never used to log in. */
  email: string | null;
  created_at: number;
}

/**
 * A sign-in started with startOidcLogin and not yet completed: what completeOidcLogin must see
 * again (RFC 9700 §4.5.3, §4.7.1), kept server-side under the hash of the cookie that names it.
 */
export interface OidcLoginsTable {
  id: string;
  provider: string;
  state: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
  expires_at: number;
}

/** Mail waiting for the background worker; delivered rows are deleted. */
export interface MailOutboxTable {
  id: string;
  /** The account the mail is about, so deleting the account can drop its pending mail; no foreign key. */
  user_id: string | null;
  /** What the mail is (password_reset, email_verification, a notice), for logs; never its content. */
  purpose: string;
  /** The whole message (recipient, subject, parts), sealed with AES-256-GCM under a server key. */
  sealed: string;
  status: "pending" | "failed";
  /** Delivery attempts started so far. */
  attempts: number;
  next_attempt_at: number;
  /** A worker that claimed the row holds it until then; 0 when unclaimed. */
  lease_until: number;
  /** The last failure's error code (never its message, which may quote the recipient). */
  last_error: string | null;
  created_at: number;
}

/** Single-use tokens of mailed links (password reset, email verification), kept only as hashes. */
export interface AccountLinksTable {
  id: string;
  user_id: string;
  purpose: "password_reset" | "email_verification";
  /** SHA-256 of the token, base64url: the token itself is only in the mail. */
  token_hash: string;
  /** For an email change: the address the account moves to when the link is used. */
  new_email: string | null;
  /** For an email change: the session that asked, which goes on when the others end. */
  session_id: string | null;
  created_at: number;
  expires_at: number;
  /** When it was used, or retired by a newer link or a completed reset; null while it works. */
  used_at: number | null;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  auth_events: AuthEventsTable;
  identities: IdentitiesTable;
  oidc_logins: OidcLoginsTable;
  mfa_factors: MfaFactorsTable;
  mfa_recovery_codes: MfaRecoveryCodesTable;
  mfa_challenges: MfaChallengesTable;
  mail_outbox: MailOutboxTable;
  account_links: AccountLinksTable;
}

export type UserRow = Selectable<UsersTable>;
export type SessionRow = Selectable<SessionsTable>;
export type IdentityRow = Selectable<IdentitiesTable>;
export type OidcLoginRow = Selectable<OidcLoginsTable>;
export type MfaFactorRow = Selectable<MfaFactorsTable>;
export type MfaChallengeRow = Selectable<MfaChallengesTable>;
export type MailOutboxRow = Selectable<MailOutboxTable>;
export type AccountLinkRow = Selectable<AccountLinksTable>;
