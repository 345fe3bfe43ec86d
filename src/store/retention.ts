import { type Kysely, sql } from "kysely";
import { accessTokenAcceptedMs, type Config } from "../config.js";
import { DAY } from "../env-schema.js";
import type { Dialect } from "./database.js";
import type { Database } from "./tables.js";

/** How long an ended or expired session, and a used or expired mailed link, is kept. */
export const ENDED_ROWS_KEPT_MS = 7 * DAY;
/** Rows removed by one statement: a large backlog goes in many short statements, never one long lock. */
export const RETENTION_BATCH = 1000;

export interface RetentionSettings {
  /** Ended (revoked) and expired sessions: kept this long after they ended. */
  readonly sessionsMs: number;
  /** Audit events (`auth_events`): kept this long after they were recorded (`AUDIT_RETENTION`). */
  readonly auditMs: number;
}

/**
 * What the configuration asks to keep. Access tokens are checked against an in-memory revocation
 * list that each instance fills from `sessions.revoked_at` when it starts or reconnects
 * (`revokedSince`); a revoked session whose row is gone can no longer be found that way, and an
 * instance that starts afterwards would accept its unexpired access tokens. So a revoked session
 * is kept at least as long as any of its access tokens can still be accepted: a token is issued
 * before its session ends and lives at most ACCESS_TOKEN_TTL + JWT_CLOCK_TOLERANCE (10 m 5 s by
 * default). ACCESS_TOKEN_TTL has no upper bound in the configuration, so the 7 days stretch to that
 * when it is set longer (OWASP ASVS 7.4.1: an ended session stays ended). The same window covers
 * an expired session, whose row `logout` and `revokeSession` need while a token of it is accepted:
 * its last token was issued before it expired.
 */
export function retentionSettings(config: Pick<Config, "jwt" | "auditRetentionMs">): RetentionSettings {
  return { sessionsMs: Math.max(ENDED_ROWS_KEPT_MS, accessTokenAcceptedMs(config.jwt)), auditMs: config.auditRetentionMs };
}

/**
 * One kind of row that can no longer be used once `column` is older than `keptMs`: deleting it
 * changes no answer the service can still give, except that a link older than that reads
 * LINK_INVALID instead of LINK_USED or LINK_EXPIRED.
 */
type Rule = {
  [T in keyof Database]: {
    readonly table: T;
    readonly key: keyof Database[T] & string;
    readonly column: keyof Database[T] & string;
    readonly keptMs: number;
  };
}[keyof Database];

/** What one sweep deleted, per table. */
export type SweepCounts = Record<"sessions" | "auth_events" | "account_links" | "oidc_logins" | "mfa_challenges", number>;

/**
 * `mail_outbox` is not here: the mail worker owns its rows and deletes each once delivered; a row
 * marked failed stays for the operator to see. Users, MFA factors, recovery codes and linked
 * identities live as long as their account.
 */
function rules(settings: RetentionSettings): readonly (Rule & { readonly table: keyof SweepCounts })[] {
  return [
    // Ended sessions; a live one has no revoked_at, and NULL never compares as older.
    { table: "sessions", key: "id", column: "revoked_at", keptMs: settings.sessionsMs },
    { table: "sessions", key: "id", column: "expires_at", keptMs: settings.sessionsMs },
    { table: "auth_events", key: "id", column: "created_at", keptMs: settings.auditMs },
    // A used link (or one retired by a newer link) never works again, whatever its expiry.
    { table: "account_links", key: "id", column: "used_at", keptMs: ENDED_ROWS_KEPT_MS },
    { table: "account_links", key: "id", column: "expires_at", keptMs: ENDED_ROWS_KEPT_MS },
    // Refused once expired, so nothing is lost by deleting them at once.
    { table: "oidc_logins", key: "id", column: "expires_at", keptMs: 0 },
    { table: "mfa_challenges", key: "token_hash", column: "expires_at", keptMs: 0 },
  ];
}

export interface SweepOptions {
  readonly batchSize?: number;
  /** Stops between two batches (shutdown); what was deleted stays deleted. */
  readonly signal?: AbortSignal;
}

/**
 * Deletes every row that is past its retention at `now` (OWASP ASVS 14.2.7: data no longer needed
 * is deleted on a defined schedule), in statements of at most `batchSize`
 * rows, each its own short transaction. Deletes are idempotent, so sweeps running at once on
 * several instances are harmless; on PostgreSQL a batch skips the rows another sweep has locked
 * instead of waiting for them (or deadlocking with it).
 */
export async function sweepExpired(
  db: Kysely<Database>,
  dialect: Dialect,
  now: number,
  settings: RetentionSettings,
  options: SweepOptions = {},
): Promise<SweepCounts> {
  const batchSize = options.batchSize ?? RETENTION_BATCH;
  const counts: SweepCounts = { sessions: 0, auth_events: 0, account_links: 0, oidc_logins: 0, mfa_challenges: 0 };
  for (const rule of rules(settings)) {
    for (;;) {
      if (options.signal?.aborted) return counts;
      const deleted = await deleteBatch(db, dialect, rule, now - rule.keptMs, batchSize);
      counts[rule.table] += deleted;
      if (deleted < batchSize) break;
    }
  }
  return counts;
}

/**
 * `DELETE … LIMIT` is not portable (PostgreSQL has none, SQLite only when compiled with it), so a
 * batch is the rows whose key is among the first `limit` matches.
 */
async function deleteBatch(db: Kysely<Database>, dialect: Dialect, rule: Rule, cutoff: number, limit: number): Promise<number> {
  const table = sql.table(rule.table);
  const key = sql.ref(rule.key);
  const skipLocked = dialect === "postgres" ? sql` for update skip locked` : sql``;
  const result = await sql`delete from ${table} where ${key} in (
    select ${key} from ${table} where ${sql.ref(rule.column)} < ${cutoff} limit ${limit}${skipLocked}
  )`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
