import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import type { Options } from "@node-rs/argon2";
import { Piscina } from "piscina";

/** One argon2 computation, as a hashing thread receives it (argon2-task.js). */
export type Argon2Task =
  | { readonly op: "hash"; readonly password: string; readonly options: Options }
  | { readonly op: "verify"; readonly hash: string; readonly password: string };

/**
 * How much lower than the event loop the hashing threads run (Linux `nice`, 0 to 19). At equal
 * priority, two hashes on a 2-core machine took the cores from the event loop and from
 * PostgreSQL's own processes, and every other request waited behind them. At 10, the scheduler
 * gave a thread of priority 0 about nine times their share (issue 8: `me` p99 while 20 logins run
 * went from 1.5x to 1.15x its idle p99, and `me` served 20% more beside them). At 19, the lowest,
 * about seventy times: in four interleaved pairs on PostgreSQL, `me` p99 beside 20 logins fell
 * from 65-74 to 60-65 ms, and logins alone ran as fast as at 10 (107-111 a second either way).
 * Hashing takes what the rest leave; with nothing else to run, it still has every core.
 */
export const HASHING_NICE = 19;

const taskFile = fileURLToPath(new URL("./argon2-task.js", import.meta.url));
const THREADS = availableParallelism();

/**
 * Computations given to each hashing thread at once: the one it runs and the one it starts next.
 * Handed one at a time, a thread waited after each for the event loop, busy with other requests,
 * to read its answer and give it more: in four interleaved rounds of 50 logins on SQLite, two in
 * hand served 123 logins a second against 113 (0.80 of raw argon2id against 0.73); on PostgreSQL,
 * whose processes share the cores, 92 against 91. The next one waits unstarted, so it holds no
 * memory: still one argon2 computation per core.
 */
const IN_HAND = 2;

let pool: Piscina<Argon2Task, string | boolean> | undefined;

/** The process's hashing threads, one per core, made on first use; idle, they do not keep the process alive. */
function threads(): Piscina<Argon2Task, string | boolean> {
  pool ??= new Piscina<Argon2Task, string | boolean>({
    filename: taskFile,
    minThreads: THREADS,
    maxThreads: THREADS,
    concurrentTasksPerWorker: IN_HAND,
    // Per thread on Linux; elsewhere `nice` would lower the whole process, event loop included.
    niceIncrement: process.platform === "linux" ? HASHING_NICE : 0,
    // The task is plain JavaScript: no loader the process was started with (tsx) is needed there.
    execArgv: [],
  });
  return pool;
}

/**
 * One argon2 computation per core running and one in hand, the rest waiting their turn here, in
 * order. More running at once would not finish sooner (each keeps a core busy) but would each hold
 * 19 MiB. Handing them all to piscina instead served its queue less evenly: 50 verifications kept
 * in flight waited p99 1.48x their median there, 1.12x with this queue in front (at the same
 * rate). With two in hand: 1.09-1.75x in seven runs of 8-10 s, against 1.08-1.54x in five with
 * one, this VM's spikes falling on both.
 */
const inTurn = (() => {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (running >= THREADS * IN_HAND) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
})();

export function hashOnThread(password: string, options: Options): Promise<string> {
  return inTurn(() => threads().run({ op: "hash", password, options }) as Promise<string>);
}

export function verifyOnThread(hash: string, password: string): Promise<boolean> {
  return inTurn(() => threads().run({ op: "verify", hash, password }) as Promise<boolean>);
}
