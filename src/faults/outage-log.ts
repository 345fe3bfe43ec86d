import type { Logger } from "pino";

/**
 * One log line when a dependency becomes unreachable and one when it answers again, however many
 * requests, retries and reconnect attempts fail in between: an outage must not flood the log, and
 * an operator still sees when it began and ended. Only the error's code and message are kept; a
 * driver error can carry its client, with connection parameters.
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: Logger,
    /** Names the dependency in both lines, e.g. "store" or "redis". */
    private readonly what: string,
    private readonly consequence: string,
    private readonly level: "warn" | "error" = "warn",
    /** Which errors mean the dependency is unreachable, for `absorbs`. */
    private readonly isFault: (error: unknown) => boolean = () => false,
  ) {}

  get isDown(): boolean {
    return this.down;
  }

  failed(error: unknown): void {
    if (this.down) return;
    this.down = true;
    this.logger[this.level]({ fault: faultSummary(error) }, `${this.what} unreachable; ${this.consequence}`);
  }

  /**
   * Takes the error as (part of) an outage when it is a connection fault, and says whether it was:
   * the caller logs any other error as unexpected.
   */
  absorbs(error: unknown): boolean {
    if (!this.isFault(error)) return false;
    this.failed(error);
    return true;
  }

  recovered(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.warn(`${this.what} reachable again`);
  }
}

/** The code and first line of an error, never its properties (a pg error can hold its client). */
export function faultSummary(error: unknown): { code?: string; message: string } {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { ...(typeof code === "string" ? { code } : {}), message: error.message.split("\n")[0] ?? "" };
}
