import type { Logger } from "pino";

export interface OutageLogOptions {
  /** Names the dependency in both lines, e.g. "store" or "redis". */
  readonly what: string;
  /** What the service does meanwhile, said in the first line. */
  readonly meanwhile: string;
  readonly level?: "warn" | "error";
  /** Which errors mean the dependency is unreachable, for `absorbs`. */
  readonly isFault?: (error: unknown) => boolean;
  /**
   * How long the dependency must go without a failure before it counts as back. Requests that
   * failed during the outage still report their errors after the first reconnect; they belong to
   * the same outage, not to a new one.
   */
  readonly settleMs?: number;
}

/**
 * One log line when a dependency becomes unreachable and one when it answers again, however many
 * requests, retries and reconnect attempts fail in between: an outage must not flood the log, and
 * an operator still sees when it began and ended. Only the error's code and message are kept; a
 * driver error can carry its client, with connection parameters.
 */
export class OutageLog {
  private down = false;
  private settling: NodeJS.Timeout | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly options: OutageLogOptions,
  ) {}

  failed(error: unknown): void {
    clearTimeout(this.settling);
    this.settling = undefined;
    if (this.down) return;
    this.down = true;
    const { what, meanwhile, level = "warn" } = this.options;
    this.logger[level]({ fault: faultSummary(error) }, `${what} unreachable; ${meanwhile}`);
  }

  /**
   * Takes the error as (part of) an outage when it is a connection fault, and says whether it was:
   * the caller logs any other error as unexpected.
   */
  absorbs(error: unknown): boolean {
    if (!(this.options.isFault?.(error) ?? false)) return false;
    this.failed(error);
    return true;
  }

  recovered(): void {
    if (!this.down || this.settling) return;
    this.settling = setTimeout(() => {
      this.settling = undefined;
      this.down = false;
      this.logger.warn(`${this.options.what} reachable again`);
    }, this.options.settleMs ?? 2_000);
    this.settling.unref();
  }
}

/** The code and first line of an error, never its properties (a pg error can hold its client). */
export function faultSummary(error: unknown): { code?: string; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { ...(typeof code === "string" ? { code } : {}), message: error.message.split("\n")[0] ?? "" };
}
