import { availableParallelism } from "node:os";
import { type Algorithm, hash, verify } from "@node-rs/argon2";

/** `Algorithm.Argon2id`; the enum is ambient const, so it is spelled out here. */
const ARGON2ID = 2 as Algorithm;

/**
 * argon2id at OWASP's Password Storage Cheat Sheet minimum (m=19 MiB, t=2, p=1), which also meets
 * OWASP ASVS 11.4.2. @node-rs/argon2 hashes on libuv's thread pool, off the event loop.
 */
export const ARGON2_PARAMETERS = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** Always spends one hash computation, so unknown users cost the same as wrong passwords. */
  verify(storedHash: string | undefined, password: string): Promise<boolean>;
  /** True when the stored hash was made with weaker parameters than today's and should be redone. */
  needsRehash(storedHash: string): boolean;
  /** Makes the dummy hash up front, so the first unknown-user login costs no more than the rest. */
  warmUp(): Promise<void>;
}

/**
 * At most one argon2 computation per core at a time; the rest wait their turn in order. More
 * would not finish sooner (each keeps a core busy), but each holds its 19 MiB, and together
 * they crowd the event loop off the cores (issue 8: peak RSS and `me` latency during logins).
 */
function oneHashPerCore(): <T>(work: () => Promise<T>) => Promise<T> {
  const limit = availableParallelism();
  let running = 0;
  const waiting: (() => void)[] = [];
  return async (work) => {
    if (running >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };
}

export function createPasswordHasher(parameters = ARGON2_PARAMETERS): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...parameters };
  const inTurn = oneHashPerCore();
  // A real hash of a random value: verifying against it costs what a real user's check costs
  // (OWASP ASVS 6.3.8, no user enumeration through timing).
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hash(crypto.randomUUID(), options));

  return {
    hash: (password) => inTurn(() => hash(password, options)),
    async verify(storedHash, password) {
      if (storedHash === undefined) {
        const against = await dummy();
        await inTurn(() => verify(against, password)).catch(() => false);
        return false;
      }
      return inTurn(() => verify(storedHash, password)).catch(() => false);
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
