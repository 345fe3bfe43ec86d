import { setFlagsFromString } from "node:v8";

/**
 * How far V8 lets the old generation grow past what survived the last full collection: 100% (a
 * factor of 2, what Go's GOGC=100 allows). Left to itself V8 picks a factor of up to 4 on a
 * machine with a few GB of memory. Under load, the objects of requests in flight at a scavenge
 * are promoted and die soon after in the old generation, so the heap swelled to ~4x the live
 * set before each full collection: with this bound, peak RSS under `npm run bench` went from 276
 * to 208 MB, and throughput did not fall (issue 8; the README's Performance has the numbers).
 */
const HEAP_GROWING_PERCENT = 100;

/** The V8 flags the server sets for itself; none that the operator already chose on the command line. */
export function heapGrowthFlags(execArgv: readonly string[]): string[] {
  const chosen = execArgv.some((flag) => /^--heap[-_]growing[-_]percent(=|$)/.test(flag));
  return chosen ? [] : [`--heap-growing-percent=${HEAP_GROWING_PERCENT}`];
}

/**
 * Bounds heap growth for this process. V8 reads this flag each time it sets the next collection's
 * limit, so setting it at start, before the first full collection, takes effect.
 */
export function boundHeapGrowth(execArgv: readonly string[] = process.execArgv): void {
  for (const flag of heapGrowthFlags(execArgv)) setFlagsFromString(flag);
}
