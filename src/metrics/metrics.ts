import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { type AuthEvent, MFA_LOGIN_FAILURES } from "../events/auth-events.js";
import type { MailDeliveryResult } from "../mail/mail-worker.js";
import type { OutboxStatus } from "../mail/outbox-repository.js";

/**
 * The limits AuthService names when it refuses (`limited(…, what)`); anything else counts as
 * "other", so a label value always comes from this list and never from a request.
 */
const LIMITS = new Set([
  "login",
  "verify_mfa",
  "signup",
  "refresh",
  "change_password",
  "mfa_enrollment",
  "disable_mfa",
  "regenerate_codes",
  "request_email_change",
  "delete_account",
  "start_oidc_login",
  "complete_oidc_login",
]);

/**
 * One app instance's Prometheus series, in a registry of its own (never prom-client's global one,
 * so several apps in one process, as in the tests, each count their own). Every label value is a
 * constant from this module or a root field name from the schema (operation-label.ts), never
 * request input, so the number of series stays bounded (OWASP ASVS 16.2: logs and telemetry hold
 * no attacker-chosen content).
 */
export class Metrics {
  readonly registry = new Registry();
  readonly operationDuration = new Histogram({
    name: "graphql_operation_duration_seconds",
    help: "Time from the GraphQL request's start to its response, by the root field it selected",
    labelNames: ["operation"] as const,
    registers: [this.registry],
  });
  private readonly logins = this.counter(
    "auth_logins_total",
    "Login attempts by outcome",
    ["result"],
    ["ok", "failed", "limited", "mfa_required", "mfa_failed"],
  );
  private readonly refreshes = this.counter("auth_refreshes_total", "Refresh tokens rotated", [], []);
  private readonly reuse = this.counter(
    "auth_refresh_reuse_total",
    "Refresh tokens presented again: within the grace (concurrent) or after it (theft, session ended)",
    ["kind"],
    ["concurrent", "theft"],
  );
  private readonly revocations = this.counter(
    "auth_revocations_total",
    "Actions that ended sessions: one per action, however many sessions it ended; session_cap one per session a login ended",
    ["reason"],
    ["logout", "logout_all", "revoked", "session_cap", "password_changed", "password_reset", "email_changed", "account_deleted", "reuse"],
  );
  private readonly refusals = this.counter("auth_rate_limit_refusals_total", "Requests refused by a rate limit", ["limit"], [...LIMITS]);
  private readonly mailDeliveries = this.counter(
    "auth_mail_deliveries_total",
    "Mail delivery attempts by outcome: delivered, failed with a retry to come, or failed for good",
    ["result"],
    ["delivered", "retrying", "failed"] satisfies MailDeliveryResult[],
  );

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Counts what an audit event says happened; called for every event AuthEvents records. */
  observe(event: AuthEvent): void {
    switch (event.type) {
      case "login_succeeded":
        this.logins.inc({ result: "ok" });
        break;
      case "login_failed":
        this.logins.inc({ result: "failed" });
        break;
      case "mfa_required":
        // The password was right; the login goes on with verifyMfa, whose success counts as "ok".
        this.logins.inc({ result: "mfa_required" });
        break;
      case "mfa_failed":
        // A login's second step refused (a wrong code, an unknown mfaToken); a wrong code that
        // guards an account change (step-up, disable, regenerate) is no login.
        if (event.detail === MFA_LOGIN_FAILURES.wrongCode || event.detail === MFA_LOGIN_FAILURES.unknownToken) {
          this.logins.inc({ result: "mfa_failed" });
        }
        break;
      case "refreshed":
        this.refreshes.inc();
        break;
      case "refresh_reuse_concurrent":
        this.reuse.inc({ kind: "concurrent" });
        break;
      case "refresh_reuse_theft":
        this.reuse.inc({ kind: "theft" });
        this.revocations.inc({ reason: "reuse" });
        break;
      // Each of these ends sessions: one, or all of the account's (all but the caller's for an
      // email change), whatever the count.
      case "logout":
      case "logout_all":
      case "password_changed":
      case "password_reset":
      case "email_changed":
      case "account_deleted":
        this.revocations.inc({ reason: event.type });
        break;
      case "session_revoked":
        // Ended by its owner (revokeSession), or by a login past MAX_SESSIONS_PER_USER.
        this.revocations.inc({ reason: event.detail === "session_cap" ? "session_cap" : "revoked" });
        break;
      case "rate_limited": {
        const limit = LIMITS.has(event.detail ?? "") ? (event.detail as string) : "other";
        this.refusals.inc({ limit });
        if (limit === "login" || limit === "verify_mfa") this.logins.inc({ result: "limited" });
        break;
      }
      default:
        break;
    }
  }

  /** Counts one delivery attempt of this instance's mail worker. */
  observeMailDelivery(result: MailDeliveryResult): void {
    this.mailDeliveries.inc({ result });
  }

  /**
   * Reports the mail outbox by status, read from the store at each scrape. The outbox is the
   * store's, so every instance sharing it reports the same numbers (aggregate with max, not sum).
   * While the store cannot answer, the series are left out rather than shown stale.
   */
  watchOutbox(countByStatus: () => Promise<Record<OutboxStatus, number>>): void {
    new Gauge({
      name: "auth_mail_outbox_depth",
      help: "Mail in the store's outbox: pending (waiting for delivery or a retry) or failed (retries exhausted)",
      labelNames: ["status"],
      registers: [this.registry],
      async collect() {
        try {
          const counts = await countByStatus();
          for (const status of Object.keys(counts) as OutboxStatus[]) this.set({ status }, counts[status]);
        } catch {
          this.reset();
        }
      },
    });
  }

  /** The exposition text and its content type, for GET /metrics. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** A counter whose known label values start at 0, so a scrape shows them before the first event. */
  private counter(name: string, help: string, labelNames: string[], values: string[]): Counter<string> {
    const counter = new Counter({ name, help, labelNames, registers: [this.registry] });
    const [label] = labelNames;
    if (label === undefined) counter.inc(0);
    for (const value of values) counter.inc({ [label ?? ""]: value }, 0);
    return counter;
  }
}
