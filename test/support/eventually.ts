import { setTimeout as sleep } from "node:timers/promises";

/**
 * Resolves once `check` holds, polling every 25 ms; fails after `limitMs`. The bound is generous
 * so a loaded machine does not fail a test: it checks that a thing happens, not how fast.
 */
export async function eventually(what: string, check: () => Promise<boolean> | boolean, limitMs = 5_000): Promise<void> {
  const started = Date.now();
  while (Date.now() - started < limitMs) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`${what} did not happen within ${limitMs} ms`);
}
