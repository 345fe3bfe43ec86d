import type { Clock } from "../clock.js";
import { faultSummary, type OutageLog } from "../faults/outage-log.js";
import type { Logger } from "../logger.js";
import type { Store } from "./database.js";
import { type RetentionSettings, type SweepCounts, sweepExpired } from "./retention.js";

export interface RetentionTiming {
  /** The first sweep waits this long after start, so it never competes with the start itself. */
  readonly firstRunMs: number;
  readonly intervalMs: number;
}

export const RETENTION_TIMING: RetentionTiming = { firstRunMs: 60_000, intervalMs: 60 * 60_000 };

/**
 * Runs the retention sweep (see retention.ts) shortly after start and then every hour, on the
 * injected clock's time. Every instance runs its own: a sweep that meets another one deletes what
 * is left and changes nothing twice. A failed sweep costs one log line and waits for the next.
 */
export class RetentionJob {
  private firstRun: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private running: Promise<SweepCounts | undefined> | undefined;
  private readonly stopping = new AbortController();

  constructor(
    private readonly store: Pick<Store, "db" | "dialect">,
    private readonly settings: RetentionSettings,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** The store's outage log: while the store is away, the failed sweeps join its one line. */
    private readonly storeOutage?: OutageLog,
    private readonly timing: RetentionTiming = RETENTION_TIMING,
  ) {}

  start(): void {
    this.firstRun = setTimeout(() => void this.sweepNow(), this.timing.firstRunMs);
    this.interval = setInterval(() => void this.sweepNow(), this.timing.intervalMs);
    this.firstRun.unref();
    this.interval.unref();
  }

  /**
   * Sweeps now, or joins the sweep already running here. Never rejects: the counts, or undefined
   * when the sweep failed (and was logged) or the job has stopped.
   */
  sweepNow(): Promise<SweepCounts | undefined> {
    if (this.stopping.signal.aborted) return Promise.resolve(undefined);
    this.running ??= this.sweep().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** No new sweep starts; one in progress stops after its current batch. */
  async stop(): Promise<void> {
    clearTimeout(this.firstRun);
    clearInterval(this.interval);
    this.stopping.abort();
    await this.running;
  }

  private async sweep(): Promise<SweepCounts | undefined> {
    try {
      const counts = await sweepExpired(this.store.db, this.store.dialect, this.clock.now(), this.settings, {
        signal: this.stopping.signal,
      });
      if (Object.values(counts).some((n) => n > 0)) this.logger.info({ deleted: counts }, "retention sweep deleted expired rows");
      return counts;
    } catch (error) {
      if (!this.storeOutage?.absorbs(error)) {
        this.logger.error({ fault: faultSummary(error) }, "retention sweep failed; the next one retries");
      }
      return undefined;
    }
  }
}
