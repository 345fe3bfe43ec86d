import type { Algorithm, Options } from "@node-rs/argon2";
import { hashOnThread, verifyOnThread } from "./argon2-threads.js";

/** `Algorithm.Argon2id`; the enum is ambient const, so it is spelled out here. */
const ARGON2ID = 2 as Algorithm;

/**
 * argon2id at OWASP's Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1), which also meets
 * OWASP ASVS 11.4.2. Hashing runs on threads of lower priority than the event loop (argon2-threads.ts).
 */
export const ARGON2_PARAMETERS = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /**
   * Always spends one hash computation, so unknown users cost the same as wrong passwords. Rejects
   * only when hashing itself fails, which is no answer about the password.
   */
  verify(storedHash: string | undefined, password: string): Promise<boolean>;
  /** True when the stored hash was made with weaker parameters than today's and should be redone. */
  needsRehash(storedHash: string): boolean;
  /** Makes the dummy hash up front, so the first unknown-user login costs no more than the rest. */
  warmUp(): Promise<void>;
}

/** Where the computations run: the hashing threads (argon2-threads.ts), unless a test says otherwise. */
export interface HashingThreads {
  hash(password: string, options: Options): Promise<string>;
  /** False for a wrong password or an unreadable stored hash; rejects only when the thread fails. */
  verify(storedHash: string, password: string): Promise<boolean>;
}

const ON_THREADS: HashingThreads = { hash: hashOnThread, verify: verifyOnThread };

/**
 * A hashing thread that fails makes the check fail (INTERNAL_SERVER_ERROR), never "wrong
 * password": that answer would turn away the right password and count against the account's
 * failure budget.
 */
export function createPasswordHasher(parameters = ARGON2_PARAMETERS, threads: HashingThreads = ON_THREADS): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...parameters };
  // A real hash of a random value: verifying against it costs what a real user's check costs
  // (OWASP ASVS 6.3.8, no user enumeration through timing).
  let dummyHash: Promise<string> | undefined;
  const dummy = () =>
    (dummyHash ??= threads.hash(crypto.randomUUID(), options).catch((error: unknown) => {
      dummyHash = undefined; // the next call tries again, instead of failing every unknown user
      throw error;
    }));

  return {
    hash: (password) => threads.hash(password, options),
    async verify(storedHash, password) {
      if (storedHash === undefined) {
        await threads.verify(await dummy(), password);
        return false;
      }
      return threads.verify(storedHash, password);
    },
    async warmUp() {
      await dummy();
    },
    needsRehash(storedHash) {
      const match = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash);
      if (!match) return true;
      const [, m, t, p] = match.map(Number) as [number, number, number, number];
      return m < parameters.memoryCost || t < parameters.timeCost || p < parameters.parallelism;
    },
  };
}
