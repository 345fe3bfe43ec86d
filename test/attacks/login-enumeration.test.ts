import { type Algorithm, hash } from "@node-rs/argon2";
import { describe, expect, it } from "vitest";
import { ARGON2_PARAMETERS, createPasswordHasher, type PasswordHasher } from "../../src/users/password-hasher.js";
import { type GraphQLResponse, LOGIN } from "../support/graphql-client.js";
import { serverPerSuite } from "../support/server-fixture.js";
import { STORES } from "../support/stores.js";
import { signUpUser } from "../support/test-server.js";
import { ATTACK_ENV, expectRefused } from "./attack-kit.js";

/** The real argon2id hasher, with its calls counted: a wrapper, not a stand-in. */
function countingHasher(): { hasher: PasswordHasher; calls: { verify: number; hash: number } } {
  const real = createPasswordHasher();
  const calls = { verify: 0, hash: 0 };
  return {
    calls,
    hasher: {
      hash: (password) => {
        calls.hash += 1;
        return real.hash(password);
      },
      verify: (storedHash, password) => {
        calls.verify += 1;
        return real.verify(storedHash, password);
      },
      needsRehash: (storedHash) => real.needsRehash(storedHash),
      warmUp: () => real.warmUp(),
    },
  };
}

/** Everything a client can observe of a refused login, besides time. */
function observable(response: GraphQLResponse) {
  return {
    status: response.status,
    body: response.body,
    cookies: response.setCookies,
    cacheControl: response.headers.get("cache-control"),
  };
}

/**
 * Login that tells an attacker nothing about which accounts exist (OWASP ASVS 6.3.8, NIST SP
 * 800-63B §3.1.1.2), and that upgrades weak stored hashes when it can (ASVS 11.4.2).
 */
describe.each(STORES)("login enumeration and hash upgrades on $name", (kind) => {
  const counting = countingHasher();
  const fixture = serverPerSuite(kind, { env: { ...ATTACK_ENV, LOGIN_MAX_FAILURES: "1000" }, hasher: counting.hasher });

  async function login(username: string, password: string) {
    const before = counting.calls.verify;
    const response = await fixture.server.client().request(LOGIN, { input: { username, password } });
    return { response, verifies: counting.calls.verify - before };
  }

  it("answers an unknown user and a wrong password identically, each after one argon2 verify (ASVS 6.3.8)", async () => {
    const { username, email } = await signUpUser(fixture.server.client());
    const attempts = [
      await login(username, "wrong password of decent length"),
      await login(username.toUpperCase(), "wrong password of decent length"),
      await login(email, "wrong password of decent length"),
      await login(`nobody_${Date.now()}`, "wrong password of decent length"),
      await login(`nobody_${Date.now()}@example.com`, "wrong password of decent length"),
      await login(username, "p".repeat(300)),
      await login("n".repeat(300), "wrong password of decent length"),
    ];
    const [first, ...rest] = attempts.map(({ response }) => observable(response));
    expect(expectRefused(attempts[0]?.response as GraphQLResponse)).toEqual({ code: "UNAUTHENTICATED", reason: "INVALID_CREDENTIALS" });
    expect(first?.body.errors?.[0]?.message).toBe("Invalid username or password");
    for (const other of rest) expect(other).toEqual(first);
    for (const { verifies } of attempts) expect(verifies).toBe(1);
  });

  it("re-hashes a stored hash with outdated parameters on a successful login (ASVS 11.4.2)", async () => {
    const { username, password, user } = await signUpUser(fixture.server.client());
    const weak = await hash(password, { algorithm: 2 as Algorithm, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    const { db } = fixture.server.app.store;
    await db.updateTable("users").set({ password_hash: weak }).where("id", "=", user.id).execute();

    const wrong = await login(username, "not the password at all");
    expect(expectRefused(wrong.response).reason).toBe("INVALID_CREDENTIALS");
    const stored = async () =>
      (await db.selectFrom("users").select("password_hash").where("id", "=", user.id).executeTakeFirstOrThrow()).password_hash;
    expect(await stored(), "a failed login must not touch the hash").toBe(weak);

    const ok = await login(username, password);
    expect(ok.response.body.errors).toBeUndefined();
    const upgraded = await stored();
    const { memoryCost: m, timeCost: t, parallelism: p } = ARGON2_PARAMETERS;
    expect(upgraded).toMatch(new RegExp(`^\\$argon2id\\$v=19\\$m=${m},t=${t},p=${p}\\$`));
    expect(m).toBeGreaterThanOrEqual(19_456);
    expect(t).toBeGreaterThanOrEqual(2);

    const again = await login(username, password);
    expect(again.response.body.errors).toBeUndefined();
    expect(await stored()).toBe(upgraded);
    const events = await db.selectFrom("auth_events").select("type").where("user_id", "=", user.id).execute();
    expect(events.map((e) => e.type)).toContain("password_rehashed");
  });
});
