// The work of a hashing thread (argon2-threads.ts). Plain JavaScript, so that a thread loads it
// as it is, from the sources as from dist/, with no TypeScript loader to start first (tsx took
// ~0.3 s in every test process that hashed).
import { hashSync, verifySync } from "@node-rs/argon2";

/**
 * One argon2 computation, run synchronously so that it belongs to the thread whose priority was
 * lowered. A stored hash that cannot be read (malformed, or with parameters argon2 refuses)
 * verifies no password: false, here, so that a rejection reaching the caller always means the
 * thread itself failed, which is no wrong password.
 * @param {import("./argon2-threads.js").Argon2Task} task
 * @returns {string | boolean}
 */
export default function runArgon2(task) {
  if (task.op === "hash") return hashSync(task.password, task.options);
  try {
    return verifySync(task.hash, task.password);
  } catch {
    return false;
  }
}
