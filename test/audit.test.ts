import { beforeAll, describe, expect, it } from "vitest";
import { CHANGE_PASSWORD, type GraphQLClient, LOGIN, LOGOUT, REFRESH, REVOKE_SESSION } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const USER_AGENT = "audit-test-agent/1.0";
const NEW_PASSWORD = "a brand new passphrase for audit 77";

/** Events about one session: each row names its user, its session and the caller's agent. */
const SESSION_EVENTS = [
  "login_succeeded",
  "refreshed",
  "refresh_reuse_concurrent",
  "refresh_reuse_theft",
  "logout",
  "session_revoked",
  "password_changed",
];
/** Every kind of event the setup below provokes. */
const ALL_EVENTS = ["signup", "login_failed", ...SESSION_EVENTS, "rate_limited"];

/**
 * The audit trail (OWASP ASVS 16.3.1 to 16.3.3, 16.2.1): every authentication event leaves a row
 * saying when, who, which session, from which address and agent, and none holds a secret (16.2.5).
 */
describe.each(STORES)("auth_events audit trail on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { LOGIN_MAX_FAILURES: "2" } });
  const secrets = new Set<string>();
  let userId: string;
  let username: string;
  const started = Date.now();

  beforeAll(async () => {
    const { server } = fixture;
    const client = server.client();
    const as = (c: GraphQLClient, query: string, variables?: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      c.request(query, variables, { headers: { "user-agent": USER_AGENT }, ...extra });
    const remember = (c: GraphQLClient) => {
      if (c.accessToken) secrets.add(c.accessToken);
      for (const value of c.cookies.values()) secrets.add(value);
    };
    const cookieName = server.app.services.refreshCookie.name;
    const adopt = (c: GraphQLClient, response: { body: { data?: any } }) => {
      const payload = Object.values(response.body.data ?? {})[0] as { accessToken?: string } | undefined;
      if (payload?.accessToken) c.accessToken = payload.accessToken;
      remember(c);
    };

    // signUp through the client so the sign-up itself carries our user agent.
    const signedUp = await signUpUser(client);
    ({ username } = signedUp);
    userId = signedUp.user.id;
    secrets.add(signedUp.password);
    remember(client);

    const loggedIn = server.client();
    adopt(loggedIn, await as(loggedIn, LOGIN, { input: { username, password: signedUp.password } }));
    await as(server.client(), LOGIN, { input: { username, password: "a wrong password entirely" } });

    // Refresh, a concurrent replay of the parent, then theft: the grandparent after two rotations.
    const t0 = loggedIn.cookies.get(cookieName) as string;
    adopt(loggedIn, await as(loggedIn, REFRESH));
    await as(server.client(), REFRESH, undefined, { cookie: `${cookieName}=${t0}` });
    adopt(loggedIn, await as(loggedIn, REFRESH));
    await as(server.client(), REFRESH, undefined, { cookie: `${cookieName}=${t0}` });

    const third = server.client();
    adopt(third, await as(third, LOGIN, { input: { username, password: signedUp.password } }));
    await as(client, REVOKE_SESSION, { id: claimsOf(third.accessToken as string).sid });
    adopt(client, await as(client, CHANGE_PASSWORD, { input: { currentPassword: signedUp.password, newPassword: NEW_PASSWORD } }));
    secrets.add(NEW_PASSWORD);
    const fourth = server.client();
    adopt(fourth, await as(fourth, LOGIN, { input: { username, password: NEW_PASSWORD } }));
    await as(fourth, LOGOUT);

    // Two failures spend the (username, IP) budget; the third attempt is refused by the limiter.
    for (let i = 0; i < 3; i++) await as(server.client(), LOGIN, { input: { username, password: `wrong guess ${i} for audit` } });
  });

  const events = () => fixture.server.app.store.db.selectFrom("auth_events").selectAll().orderBy("id").execute();

  it("records each kind of event with its time, user, session, address and agent", async () => {
    const rows = await events();
    const byType = (type: string) => rows.filter((row) => row.type === type);
    for (const type of ALL_EVENTS) {
      expect(byType(type).length, type).toBeGreaterThan(0);
      for (const row of byType(type)) {
        expect(Number(row.created_at), type).toBeGreaterThanOrEqual(started);
        expect(Number(row.created_at), type).toBeLessThanOrEqual(Date.now());
        expect(row.ip_address, type).toMatch(/127\.0\.0\.1$/);
      }
    }
    for (const type of SESSION_EVENTS) {
      for (const row of byType(type)) {
        expect(row.user_id, type).toBe(userId);
        expect(row.session_id, type).toMatch(/^[0-9a-f-]{36}$/);
        expect(row.user_agent, type).toBe(USER_AGENT);
      }
    }
    expect(byType("signup")[0]?.user_id).toBe(userId);
    expect(byType("rate_limited")[0]?.detail).toBe("login");
  });

  it("tells a concurrent replay from theft in the detail", async () => {
    const rows = await events();
    const theft = rows.find((row) => row.type === "refresh_reuse_theft");
    const concurrent = rows.find((row) => row.type === "refresh_reuse_concurrent");
    expect(theft?.detail).toMatch(/ancestor|after grace/);
    expect(concurrent?.session_id).toBe(theft?.session_id);
  });

  it("holds no password, access token or refresh token in any column (ASVS 16.2.5)", async () => {
    expect(secrets.size).toBeGreaterThanOrEqual(8);
    const rows = await events();
    const text = JSON.stringify(rows);
    for (const secret of secrets) {
      expect(text.includes(secret)).toBe(false);
      // Nor the signature or MAC part of a token on its own.
      const tail = secret.split(".").at(-1) as string;
      if (tail.length >= 20) expect(text.includes(tail)).toBe(false);
    }
  });
});
