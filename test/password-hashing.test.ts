import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { HASHING_NICE } from "../src/users/argon2-threads.js";
import { createPasswordHasher } from "../src/users/password-hasher.js";

/** Each thread's `nice` value (field 19 of /proc/<pid>/task/<tid>/stat), by thread id. */
function threadNiceness(): Map<number, number> {
  const niceness = new Map<number, number>();
  for (const tid of readdirSync("/proc/self/task")) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
    // The command name in parentheses may hold spaces; the fields after it are space-separated.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    niceness.set(Number(tid), Number(fields[16]));
  }
  return niceness;
}

describe("password hashing", () => {
  const hasher = createPasswordHasher();

  it("verifies argon2id hashes it made: the right password passes, a wrong one, a malformed hash and no account do not", async () => {
    const stored = await hasher.hash("correct horse battery staple");
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify(stored, "correct horse battery staple")).toBe(true);
    expect(await hasher.verify(stored, "correct horse battery stapler")).toBe(false);
    expect(await hasher.verify("$argon2id$not-a-hash", "correct horse battery staple")).toBe(false);
    expect(await hasher.verify(undefined, "correct horse battery staple")).toBe(false);
  });

  it("runs several verifications at once without mixing up their answers", async () => {
    const [first, second] = (await Promise.all([hasher.hash("first password"), hasher.hash("second password")])) as [string, string];
    const pairs: [string, string][] = [
      [first, "first password"],
      [second, "second password"],
      [first, "second password"],
      [second, "first password"],
      [first, "first password"],
      [second, "second password"],
    ];
    const checks = pairs.map(([stored, password]) => hasher.verify(stored, password));
    expect(await Promise.all(checks)).toEqual([true, true, false, false, true, true]);
  });

  it.runIf(process.platform === "linux")("hashes on one thread per core, each below the event loop's priority", async () => {
    await hasher.verify(await hasher.hash("a password"), "a password");
    const niceness = threadNiceness();
    expect(niceness.get(process.pid)).toBe(0);
    // The hashing threads, and any thread one of them started (threads inherit their creator's nice).
    expect(HASHING_NICE).toBeGreaterThan(0);
    const lowered = [...niceness.values()].filter((nice) => nice === HASHING_NICE);
    expect(lowered.length).toBeGreaterThanOrEqual(availableParallelism());
  });
});
