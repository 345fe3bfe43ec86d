import type { User } from "./user.js";

/**
 * A user together with what proves them: services hold one to check a password and to bind a
 * session to it. What they hand on (AuthResult, GraphQL parents) is `account.user`, never the
 * account, so the hash cannot ride along.
 */
export interface Account {
  readonly user: User;
  /** The argon2id hash, or NO_PASSWORD for an account made through an OpenID provider. */
  readonly passwordHash: string;
  /** Moves on with every password change; sessions and login steps of an older one are void. */
  readonly credentialVersion: number;
}

/**
 * The password hash of an account made through an OpenID provider: no argon2 hash looks like it, so
 * no password ever verifies against it (login is INVALID_CREDENTIALS) until resetPassword sets one.
 */
export const NO_PASSWORD = "!";
