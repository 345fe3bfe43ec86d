import type { Algorithm } from "@node-rs/argon2";
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
  /** Always spends one hash computation, so unknown users cost the same as wrong passwords. */
  verify(storedHash: string | undefined, password: string): Promise<boolean>;
  /** True when the stored hash was made with weaker parameters than today's and should be redone. */
  needsRehash(storedHash: string): boolean;
  /** Makes the dummy hash up front, so the first unknown-user login costs no more than the rest. */
  warmUp(): Promise<void>;
}

export function createPasswordHasher(parameters = ARGON2_PARAMETERS): PasswordHasher {
  const options = { algorithm: ARGON2ID, ...parameters };
  // A real hash of a random value: verifying against it costs what a real user's check costs
  // (OWASP ASVS 6.3.8, no user enumeration through timing).
  let dummyHash: Promise<string> | undefined;
  const dummy = () => (dummyHash ??= hashOnThread(crypto.randomUUID(), options));

  return {
    hash: (password) => hashOnThread(password, options),
    async verify(storedHash, password) {
      if (storedHash === undefined) {
        const against = await dummy();
        await verifyOnThread(against, password).catch(() => false);
        return false;
      }
      return verifyOnThread(storedHash, password).catch(() => false);
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
