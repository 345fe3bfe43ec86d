import { identityKey } from "../users/user-rules.js";

/**
 * The key failed password and code checks count under: one per account, whatever spelling
 * (username or email, any case) or operation (login, changePassword, a step-up) reached it, so
 * switching between them buys no extra guesses (OWASP ASVS 6.3.1, NIST SP 800-63B §3.2.2).
 */
export function accountKey(userId: string): string {
  return `user:${userId}`;
}

/** An identifier that names no account counts per normalised identifier, answered the same way. */
export function unknownAccountKey(identifier: string): string {
  return `name:${identityKey(identifier)}`;
}
