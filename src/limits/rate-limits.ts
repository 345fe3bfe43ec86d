/**
 * The account-lifecycle limits the contract fixes: reset requests per address and per IP, link
 * redemptions per IP, verification resends per account. Keys are IPs, addresses or account ids.
 */
export type AccountMailRule = "reset_request_ip" | "reset_request_address" | "reset_ip" | "verify_ip" | "resend_account";

/**
 * Brute-force and resource limits, consumed per attempt inside the resolvers, so neither aliases
 * nor parallel requests multiply attempts (OWASP ASVS 6.3.1, NIST SP 800-63B §3.2.2). Each refusal
 * throws `RATE_LIMITED` with `retryAfter`, and `firstRefusal` on the first of its key's block. A
 * null IP (the address is unknown) counts in one shared bucket.
 */
export interface RateLimits {
  /**
   * Reserves one password or code check for the (account, IP) pair and one for the IP's daily
   * budget, before anything is checked; refuses when either is spent. `accountKey` is the same
   * for every spelling and operation that reaches one account (see loginKeys).
   */
  beginLoginAttempt(accountKey: string, ip: string | null): Promise<LoginAttempt>;
  /**
   * Counts one login-type request (login, verifyMfa, completeOidcLogin) against the IP's
   * per-minute budget, successful or not: a right password costs an argon2 verify and a session
   * too (OWASP ASVS 2.4.1, CWE-770).
   */
  consumeLoginRequest(ip: string | null): Promise<void>;
  consumeSignUp(ip: string | null): Promise<void>;
  consumeRefresh(ip: string | null): Promise<void>;
  /** Counts one use under an account-lifecycle rule; refuses once the hour's budget is spent. */
  consumeAccountMail(rule: AccountMailRule, key: string | null): Promise<void>;
}

export interface LoginAttempt {
  /** The credentials were right: the pair's count resets and the IP's attempt is given back. */
  succeeded(): Promise<void>;
  /**
   * The password was right but the login waits for its second factor: the attempt is given back
   * without clearing earlier failures, so wrong codes keep counting across mfaTokens.
   */
  refunded(): Promise<void>;
}
