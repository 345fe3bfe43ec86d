import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { OutageLog } from "../faults/outage-log.js";
import { compiledOnce } from "../store/compiled-once.js";
import { fitTo } from "../store/field-limits.js";
import { GroupCommit } from "../store/group-commit.js";
import type { Database } from "../store/tables.js";

export type AuthEventType =
  | "signup"
  | "login_succeeded"
  | "login_failed"
  | "refreshed"
  | "refresh_reuse_concurrent"
  | "refresh_reuse_theft"
  | "logout"
  | "logout_all"
  | "session_revoked"
  | "password_changed"
  | "password_rehashed"
  | "rate_limited"
  | "identity_linked"
  | "identity_unlinked"
  | "mfa_enrollment_started"
  | "mfa_enabled"
  | "mfa_disabled"
  | "mfa_required"
  | "mfa_failed"
  | "recovery_code_used"
  | "recovery_codes_regenerated"
  | "password_reset_requested"
  | "password_reset"
  | "email_verified"
  | "email_change_requested"
  | "email_changed"
  | "account_deleted";

/** Seven values a row: 100 rows stay far below SQLite's and PostgreSQL's parameter limits. */
const ROWS_PER_INSERT = 100;

/** The `detail` of the mfa_failed events that a login's second step (verifyMfa) records. */
export const MFA_LOGIN_FAILURES = { wrongCode: "wrong code", unknownToken: "mfaToken invalid" } as const;

export interface AuthEvent {
  readonly type: AuthEventType;
  readonly userId?: string | null;
  readonly sessionId?: string | null;
  readonly ip?: string | null;
  readonly userAgent?: string | null;
  /** The request it happened in, for the log line only. */
  readonly requestId?: string;
  /** Short, non-secret context, such as which limit refused. Never a token or a password. */
  readonly detail?: string | null;
}

/** An event as its `auth_events` row holds it. */
interface AuditRow {
  readonly type: AuthEventType;
  readonly user_id: string | null;
  readonly session_id: string | null;
  readonly ip_address: string | null;
  readonly user_agent: string | null;
  readonly detail: string | null;
  readonly created_at: number;
}

/**
 * The append-only audit trail (OWASP ASVS 16.3.1 to 16.3.3): who did what, when and from where.
 * A failure to write an event is logged and never fails the operation it describes.
 */
export class AuthEvents {
  /** Every refresh and login writes a row; rows of one event-loop turn go in one INSERT. */
  private readonly rows: GroupCommit<AuditRow>;

  constructor(
    db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The store's outage log: an unreachable store is reported once per outage, not per event. */
    private readonly storeOutage: OutageLog,
    /** Counts each event as it is recorded (GET /metrics), when metrics are on. */
    private readonly observer?: { observe(event: AuthEvent): void },
  ) {
    // Alone in its turn (an idle server; most turns on PostgreSQL), a row takes the statement
    // compiled once, which PostgreSQL keeps prepared; a group is built for its size.
    const insertOne = compiledOnce(
      db,
      (
        type: AuthEventType,
        userId: string | null,
        sessionId: string | null,
        ip: string | null,
        userAgent: string | null,
        detail: string | null,
        createdAt: number,
      ) =>
        db
          .insertInto("auth_events")
          .values({ type, user_id: userId, session_id: sessionId, ip_address: ip, user_agent: userAgent, detail, created_at: createdAt }),
      ["signup", "user-id", "session-id", "ip", "user-agent", "detail", -1],
    );
    // Gives no results: each record learns only that its row is written.
    this.rows = new GroupCommit<AuditRow>(async (rows) => {
      const [row] = rows;
      if (rows.length > 1 || row === undefined) await db.insertInto("auth_events").values(rows).execute();
      else await insertOne(row.type, row.user_id, row.session_id, row.ip_address, row.user_agent, row.detail, row.created_at);
    }, ROWS_PER_INSERT);
  }

  /**
   * Strips an erased account's events of the IP addresses and user agents that could identify the
   * person (GDPR Art. 17); what happened and when stays for the audit trail. In the caller's transaction.
   */
  async forget(db: Kysely<Database>, userId: string): Promise<void> {
    await db.updateTable("auth_events").set({ ip_address: null, user_agent: null }).where("user_id", "=", userId).execute();
  }

  /** Counts an event in the metrics without a row or a log line: a repeat the trail already holds. */
  tally(event: AuthEvent): void {
    this.observer?.observe(event);
  }

  async record(event: AuthEvent): Promise<void> {
    this.observer?.observe(event);
    const row: AuditRow = {
      type: event.type,
      user_id: event.userId ?? null,
      session_id: event.sessionId ?? null,
      ip_address: event.ip ?? null,
      user_agent: fitTo("userAgent", event.userAgent),
      detail: fitTo("auditDetail", event.detail),
      created_at: this.clock.now(),
    };
    this.logger.info(
      {
        event: row.type,
        userId: row.user_id,
        sessionId: row.session_id,
        ip: row.ip_address,
        detail: row.detail,
        requestId: event.requestId,
      },
      "auth event",
    );
    try {
      await this.rows.add(row);
    } catch (error) {
      // The event itself is in the log line above.
      if (!this.storeOutage.absorbs(error)) this.logger.error({ err: error, event: row.type }, "could not record auth event");
    }
  }
}
