import type { Clock } from "../clock.js";
import type { OutageLog } from "../faults/outage-log.js";
import type { Logger } from "../logger.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import type { MailOutboxRow } from "../store/tables.js";
import type { MailOutbox } from "./mail-outbox.js";
import type { MailTransport } from "./mail-transport.js";
import type { OutboxRepository } from "./outbox-repository.js";

/** How often each instance looks for due mail queued by another instance or due for a retry. */
const POLL_MS = 1_000;
/** A claim outlives the SMTP timeouts (see mail-transport.ts), so a live delivery is never doubled. */
export const MAIL_LEASE_MS = 120_000;
/**
 * Waits before retry n (1-based): the first within a minute, then longer, about 64 minutes in all;
 * the mail is marked failed when the last retry fails too.
 */
export const RETRY_DELAYS_MS: readonly number[] = [5, 30, 60, 120, 300, 600, 900, 900, 900].map((s) => s * 1000);
const BATCH = 10;
/** How long shutdown waits for a delivery in flight before leaving it to the lease. */
const STOP_WAIT_MS = 5_000;

/** How one delivery attempt ended: sent, failed with a retry to come, or failed for good. */
export type MailDeliveryResult = "delivered" | "retrying" | "failed";

/**
 * Delivers the outbox in the background: woken when this instance queues mail, and polling for
 * the rest. Each mail is claimed (a lease in the store) before it is sent, so with several
 * instances each mail goes out once; a process killed mid-delivery leaves a lease that expires,
 * after which another attempt is made (at-least-once at that one crash point).
 */
export class MailWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(
    private readonly outbox: MailOutbox,
    private readonly repository: OutboxRepository,
    private readonly transport: MailTransport,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The store's outage log: while the store is away, the polls' failures make one line, not one a second. */
    private readonly storeOutage?: OutageLog,
    /** Counts each attempt's outcome (GET /metrics), when metrics are on. */
    private readonly observer?: { observeMailDelivery(result: MailDeliveryResult): void },
  ) {}

  start(): void {
    this.outbox.onQueued(() => this.kick());
    this.timer = setInterval(() => this.kick(), POLL_MS);
    this.timer.unref();
    this.kick();
  }

  /** Stops polling; a delivery in flight may finish (bounded), then the transport closes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.outbox.onQueued(() => {});
    if (this.running) {
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise((resolve) => (wait = setTimeout(resolve, STOP_WAIT_MS)))]);
      clearTimeout(wait);
    }
    this.transport.close();
  }

  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => {
        if (!this.storeOutage?.absorbs(error)) this.logger.error({ err: error }, "mail outbox pass failed; retrying on the next poll");
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const ids = await this.repository.due(this.clock.now(), BATCH);
      if (ids.length === 0) return;
      let claimed = 0;
      for (const id of ids) {
        if (this.stopped) return;
        const now = this.clock.now();
        const row = await this.repository.claim(id, now, now + MAIL_LEASE_MS);
        if (!row) continue; // another worker has it
        claimed += 1;
        await this.deliver(row);
      }
      if (claimed === 0) return;
    }
  }

  private async deliver(row: MailOutboxRow): Promise<void> {
    const about = { mailId: row.id, purpose: row.purpose, attempt: row.attempts };
    try {
      await this.transport.send(this.outbox.open(row.sealed));
    } catch (error) {
      const code = errorCode(error);
      const delay = RETRY_DELAYS_MS[row.attempts - 1];
      if (delay === undefined) {
        await this.repository.markFailed(row.id, code);
        this.observer?.observeMailDelivery("failed");
        this.logger.error({ ...about, code }, "mail delivery failed for good; marked failed");
      } else {
        await this.repository.retryLater(row.id, this.clock.now() + delay, code);
        this.observer?.observeMailDelivery("retrying");
        this.logger.warn({ ...about, code, retryInMs: delay }, "mail delivery failed; will retry");
      }
      return;
    }
    // Delivered: the sealed copy (and the link in it) goes at once.
    await this.repository.delete(row.id);
    this.observer?.observeMailDelivery("delivered");
    this.logger.info(about, "mail delivered");
  }
}

/**
 * A short, content-free reason: nodemailer's code and the SMTP reply code, never the message,
 * which can quote the recipient's address.
 */
function errorCode(error: unknown): string {
  if (error && typeof error === "object") {
    const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
    const parts = [typeof code === "string" ? code : "ERROR", typeof responseCode === "number" ? String(responseCode) : ""];
    return parts.filter(Boolean).join(" ").slice(0, FIELD_LIMITS.mailError);
  }
  return "ERROR";
}
