import { createHash, randomBytes } from "node:crypto";
import type { Clock } from "../clock.js";
import type { MfaChallengeRow } from "../store/tables.js";
import type { MfaRepository } from "./mfa-repository.js";

/** How long a login may wait for its second factor. */
const CHALLENGE_TTL_MS = 5 * 60_000;
/** Wrong codes one mfaToken takes before it ends (the login limits count them too). */
export const MAX_CODE_FAILURES = 5;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * The mfaToken a login with MFA answers with: 256 random bits, single use, valid five minutes,
 * bound to the account; the store holds only its SHA-256 (a copy of the database completes no
 * login), as for the other bearer secrets (OWASP ASVS 7.2.1).
 */
export class MfaChallenges {
  constructor(
    private readonly repository: MfaRepository,
    private readonly clock: Clock,
  ) {}

  /**
   * A step for the user as of `credentialVersion`, the version the password was checked at (a
   * password change since voids the step), counted under `loginKey` in the login limits.
   */
  async issue(userId: string, credentialVersion: number, loginKey: string): Promise<string> {
    const token = randomBytes(32).toString("base64url");
    const now = this.clock.now();
    await this.repository.deleteExpiredChallenges(now);
    await this.repository.insertChallenge({
      token_hash: digest(token),
      user_id: userId,
      login_key: loginKey,
      credential_version: credentialVersion,
      failures: 0,
      expires_at: now + CHALLENGE_TTL_MS,
      created_at: now,
    });
    return token;
  }

  /** The live challenge `token` stands for: known, unexpired, unused and with wrong codes to spare. */
  async find(token: string): Promise<MfaChallengeRow | undefined> {
    if (!TOKEN.test(token)) return undefined;
    return this.repository.findChallenge(digest(token), this.clock.now(), MAX_CODE_FAILURES);
  }

  failed(challenge: MfaChallengeRow): Promise<void> {
    return this.repository.countFailure(challenge.token_hash);
  }

  /** Voids every pending login step of the account: they were opened with a password that is no longer its own. */
  endAllOf(userId: string): Promise<void> {
    return this.repository.deleteChallengesOf(userId);
  }

  /** Uses the challenge up; false when a concurrent request already did. */
  consume(challenge: MfaChallengeRow): Promise<boolean> {
    return this.repository.consumeChallenge(challenge.token_hash, this.clock.now(), MAX_CODE_FAILURES);
  }
}

function digest(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
