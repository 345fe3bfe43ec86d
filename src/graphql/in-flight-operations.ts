/**
 * Counts GraphQL operations still executing, so shutdown can close the store only after them. The
 * HTTP drain alone is not enough: a client that hangs up leaves its operation running (a login
 * mid-hash, say), and closing the store under it would fail it. request-plugin.ts counts each
 * operation from its start to its response.
 */
export class InFlightOperations {
  private running = 0;
  private waiters: (() => void)[] = [];

  started(): void {
    this.running += 1;
  }

  finished(): void {
    this.running -= 1;
    if (this.running === 0) for (const wake of this.waiters.splice(0)) wake();
  }

  /** Resolves when nothing runs, or after `timeoutMs` at the latest. */
  idle(timeoutMs: number): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
