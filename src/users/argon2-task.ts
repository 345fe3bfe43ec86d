import { hashSync, type Options, verifySync } from "@node-rs/argon2";

/** One argon2 computation, as the hashing threads (argon2-threads.ts) receive it. */
export type Argon2Task =
  | { readonly op: "hash"; readonly password: string; readonly options: Options }
  | { readonly op: "verify"; readonly hash: string; readonly password: string };

/**
 * Runs in a hashing thread, never on the event loop: synchronously, so the computation belongs to
 * the thread whose priority was lowered. Throws for a malformed stored hash, as `verify` does.
 */
export default function runArgon2(task: Argon2Task): string | boolean {
  return task.op === "hash" ? hashSync(task.password, task.options) : verifySync(task.hash, task.password);
}
