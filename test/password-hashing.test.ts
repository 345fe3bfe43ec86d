import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { HASHING_NICE, hashOnThread, verifyOnThread } from "../src/users/argon2-threads.js";
import { ARGON2_PARAMETERS, createPasswordHasher, type HashingThreads } from "../src/users/password-hasher.js";
import { LOGIN } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { SQLITE } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

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

  it("takes a hashing thread's failure for an error, never for a wrong password (known account or not)", async () => {
    const stored = await hasher.hash("a password");
    const dying: HashingThreads = { hash: hashOnThread, verify: () => Promise.reject(new Error("hashing thread exited")) };
    const broken = createPasswordHasher(ARGON2_PARAMETERS, dying);
    await expect(broken.verify(stored, "a password")).rejects.toThrow("hashing thread exited");
    await expect(broken.verify(undefined, "a password")).rejects.toThrow("hashing thread exited");
  });

  it("makes the unknown-account dummy hash again after a failed attempt, so one failure does not refuse every unknown account", async () => {
    let failNext = true;
    const flaky = createPasswordHasher(ARGON2_PARAMETERS, {
      hash: (password, options) => {
        if (!failNext) return hashOnThread(password, options);
        failNext = false;
        return Promise.reject(new Error("hashing thread exited"));
      },
      verify: verifyOnThread,
    });
    await expect(flaky.verify(undefined, "a password")).rejects.toThrow("hashing thread exited");
    expect(await flaky.verify(undefined, "a password")).toBe(false);
  });
});

describe("a login whose hashing thread fails", () => {
  let threadDies = false;
  // The real threads, with one failure switched on: a thread that exits mid-task rejects so.
  const hasher = createPasswordHasher(ARGON2_PARAMETERS, {
    hash: hashOnThread,
    verify: (stored, password) => (threadDies ? Promise.reject(new Error("hashing thread exited")) : verifyOnThread(stored, password)),
  });
  const fixture = serverPerSuite(SQLITE, { hasher });

  it("answers INTERNAL_SERVER_ERROR, not INVALID_CREDENTIALS, and the same password logs in once hashing works again", async () => {
    const account = await signUpUser(fixture.server.client());
    const input = { username: account.username, password: account.password };
    threadDies = true;
    const failed = await fixture.server.client().request(LOGIN, { input });
    expect(failed.body.errors?.[0]?.extensions?.code).toBe("INTERNAL_SERVER_ERROR");
    expect(failed.body.errors?.[0]?.extensions?.reason).toBeUndefined();
    expect(failed.setCookies).toEqual([]);
    threadDies = false;
    const again = await fixture.server.client().request(LOGIN, { input });
    expect(again.body.data?.login?.accessToken).toEqual(expect.any(String));
  });
});
