import { describe, expect, it } from "vitest";
import { errorOf, LOGIN } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

/** How failed logins are counted and recorded (OWASP ASVS 6.3.1, 16.3.1). */
describe.each(STORES)("login accounting on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { LOGIN_MAX_FAILURES: "2" } });
  const login = (username: string, password: string) => fixture.server.client().request(LOGIN, { input: { username, password } });

  it("names the targeted account in a failed login's audit row when it exists, and none when it does not", async () => {
    const account = await signUpUser(fixture.server.client());
    await login(account.username, "not the right password");
    await login("nobody_by_this_name", "not the right password");
    const rows = await fixture.server.app.store.db
      .selectFrom("auth_events")
      .select(["user_id", "detail"])
      .where("type", "=", "login_failed")
      .orderBy("id")
      .execute();
    expect(rows.at(-2)).toEqual({ user_id: account.user.id, detail: "wrong password" });
    expect(rows.at(-1)).toEqual({ user_id: null, detail: "unknown account" });
  });

  it("does not count a malformed login (control characters) as a guess towards the lockout", async () => {
    const account = await signUpUser(fixture.server.client());
    for (let i = 0; i < 3; i += 1) {
      expect(errorOf(await login(account.username, `bad\u0000password ${i}`))).toMatchObject({ code: "BAD_USER_INPUT", field: "password" });
    }
    const res = await login(account.username, account.password);
    expect(res.body.errors).toBeUndefined();
  });
});
