import type { Kysely } from "kysely";
import type { Viewer } from "../auth/access-tokens.js";
import type { ClientInfo } from "../auth/client-info.js";
import type { SessionService } from "../auth/session-service.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { AuthEvents } from "../events/auth-events.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { MailOutbox } from "../mail/mail-outbox.js";
import type { MfaChallenges } from "../mfa/mfa-challenges.js";
import type { MfaService } from "../mfa/mfa-service.js";
import type { Database, UserRow } from "../store/tables.js";
import type { UserRepository } from "../users/user-repository.js";
import { refuseControlCharacters } from "../users/user-rules.js";
import type { UserService } from "../users/user-service.js";
import type { AccountLinks } from "./account-links.js";

/** What the account-lifecycle services share, built once per app instance. */
export interface AccountDeps {
  /** For the transactions that write a change together with its mail. */
  readonly db: Kysely<Database>;
  readonly links: AccountLinks;
  readonly users: UserService;
  readonly userRows: UserRepository;
  readonly sessions: SessionService;
  readonly limits: RateLimits;
  readonly events: AuthEvents;
  readonly outbox: MailOutbox;
  /** Step-up: with MFA on, the password alone does not prove the owner (ASVS 6.5). */
  readonly mfa: MfaService;
  /** Pending login steps, which a password reset voids like any password change. */
  readonly challenges: MfaChallenges;
  readonly settings: Config["mail"];
  readonly clock: Clock;
}

/**
 * The caller's account, once `password` is proven to be its password and, with MFA on, `totpCode`
 * a current code (step-up). A wrong password or code counts with the failed logins of this account
 * and IP, so a stolen access token cannot be used to guess either (OWASP ASVS 6.3.1); a right proof
 * resets that count.
 */
export async function provePassword(
  deps: AccountDeps,
  viewer: Viewer,
  password: string,
  totpCode: string | null | undefined,
  client: ClientInfo,
): Promise<UserRow> {
  refuseControlCharacters("currentPassword", password);
  if (totpCode) refuseControlCharacters("totpCode", totpCode);
  const attempt = await deps.limits.beginLoginAttempt(`user:${viewer.userId}`, client.ip);
  const user = await deps.users.verifyPassword(viewer.userId, password);
  await deps.mfa.requireStepUp(user.id, totpCode, client);
  await attempt.succeeded();
  return user;
}
