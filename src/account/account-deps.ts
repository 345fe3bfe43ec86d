import type { Kysely } from "kysely";
import type { OwnerProof } from "../auth/owner-proof.js";
import type { PasswordReplacement } from "../auth/password-replacement.js";
import type { SessionService } from "../auth/session-service.js";
import type { Clock } from "../clock.js";
import type { Config } from "../config.js";
import type { AuthEvents } from "../events/auth-events.js";
import type { RateLimits } from "../limits/rate-limits.js";
import type { MailOutbox } from "../mail/mail-outbox.js";
import type { Database } from "../store/tables.js";
import type { UserRepository } from "../users/user-repository.js";
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
  /** The current password (and a code, with MFA on) before an account changes (ASVS 6.5). */
  readonly proof: OwnerProof;
  /** How a reset sets the password: every session and pending login step ends with the old one. */
  readonly passwords: PasswordReplacement;
  readonly settings: Config["mail"];
  readonly clock: Clock;
}
