import { describe, expect, it } from "vitest";
import { meWith } from "../support/access-token-checks.js";
import { eventually } from "../support/eventually.js";
import {
  CHANGE_PASSWORD,
  errorOf,
  type GraphQLClient,
  type GraphQLResponse,
  LOGIN,
  REFRESH,
  SESSIONS,
  USERS,
} from "../support/graphql-client.js";
import { ManualClock } from "../support/manual-clock.js";
import { VERIFY_MFA } from "../support/mfa-steps.js";
import { serverPerSuite } from "../support/server-fixture.js";
import { execSql, querySql } from "../support/store-sql.js";
import { STORES } from "../support/stores.js";
import { logInUser, signUpUser } from "../support/test-server.js";

const WRONG = "not the password at all 0000";

function login(client: GraphQLClient, username: string, password: string): Promise<GraphQLResponse> {
  return client.request(LOGIN, { input: { username, password } });
}

function changePassword(client: GraphQLClient, currentPassword: string): Promise<GraphQLResponse> {
  return client.request(CHANGE_PASSWORD, { input: { currentPassword, newPassword: "a new passphrase for limits 5521" } });
}

const codeOf = (response: GraphQLResponse) => errorOf(response).code;

// Finding 3 of the abuse review: failures counted per spelling and per operation, so one IP got
// 15 guesses per window instead of 5 (OWASP ASVS 6.3.1, NIST SP 800-63B §3.2.2).
describe.each(STORES)("findings 3 and 8: one lockout per account, whatever the spelling or operation, on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { LOGIN_MAX_FAILURES: "5" } });

  it("locks the account for this IP after 5 failures spread over username, email, any case and changePassword (ASVS 6.3.1)", async () => {
    const client = fixture.server.client();
    const { username, email, password } = await signUpUser(client);
    expect(codeOf(await login(client, username, WRONG))).toBe("UNAUTHENTICATED");
    expect(codeOf(await login(client, username.toUpperCase(), WRONG))).toBe("UNAUTHENTICATED");
    expect(codeOf(await login(client, email, WRONG))).toBe("UNAUTHENTICATED");
    expect(codeOf(await login(client, email.toUpperCase(), WRONG))).toBe("UNAUTHENTICATED");
    expect(errorOf(await changePassword(client, WRONG)).reason).toBe("INVALID_CREDENTIALS");

    // Every spelling and every operation is now refused, the right password included.
    for (const spelling of [username, email, username.toLowerCase(), email.toUpperCase()]) {
      expect(codeOf(await login(client, spelling, password))).toBe("RATE_LIMITED");
    }
    expect(codeOf(await changePassword(client, password))).toBe("RATE_LIMITED");
  });

  it("answers an identifier that names no account the same way, counted per normalised identifier", async () => {
    const client = fixture.server.client();
    const ghost = `ghost_${Date.now()}`;
    for (let i = 0; i < 5; i += 1)
      expect(errorOf(await login(client, i % 2 ? ghost : ghost.toUpperCase(), WRONG)).reason).toBe("INVALID_CREDENTIALS");
    expect(codeOf(await login(client, ghost, WRONG))).toBe("RATE_LIMITED");
  });

  // Finding 8: failed current-password checks were not audited, and rate-limited rows named nobody;
  // a flood of refusals wrote a row each (OWASP ASVS 16.3.2, CWE-770).
  it("audits a wrong current password, and records a block's refusals once, naming the account (ASVS 16.3.2)", async () => {
    const client = fixture.server.client();
    const { username, password, user } = await signUpUser(client);
    expect(errorOf(await changePassword(client, WRONG)).reason).toBe("INVALID_CREDENTIALS");
    for (let i = 0; i < 4; i += 1) await login(client, username, WRONG);
    for (let i = 0; i < 10; i += 1) expect(codeOf(await login(client, username, password))).toBe("RATE_LIMITED");

    const rows = await querySql<{ type: string; user_id: string | null; detail: string | null }>(
      fixture.store,
      "select type, user_id, detail from auth_events where user_id = ? and type in ('login_failed', 'rate_limited') order by id",
      [user.id],
    );
    expect(rows.filter((row) => row.type === "login_failed").map((row) => row.detail)).toEqual([
      "change_password: wrong current password",
      "wrong password",
      "wrong password",
      "wrong password",
      "wrong password",
    ]);
    expect(rows.filter((row) => row.type === "rate_limited")).toEqual([{ type: "rate_limited", user_id: user.id, detail: "login" }]);
  });
});

// Finding 4: successful logins cost nothing against any limit: 540 argon2 verifies and sessions
// in 11.5 s from one IP with 15 aliases (OWASP ASVS 2.4.1, CWE-770).
describe.each(STORES)("finding 4: every login counts in the IP's per-minute budget on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { LOGIN_MAX_PER_IP_PER_MINUTE: "6" } });

  it("refuses aliased right-password logins beyond LOGIN_MAX_PER_IP_PER_MINUTE, and counts verifyMfa too (CWE-770)", async () => {
    const client = fixture.server.client();
    // Signing up is no login: the budget is untouched.
    const { username, password } = await signUpUser(client);
    const aliases = Array.from({ length: 5 }, (_, i) => `a${i}: login(input: { username: $u, password: $p }) { accessToken }`).join(" ");
    const batched = await client.request(`mutation Many($u: String!, $p: String!) { ${aliases} }`, { u: username, p: password });
    const granted = Object.values(batched.body.data ?? {}).filter((value) => value !== null);
    expect(granted).toHaveLength(5);
    const code = await client.request(VERIFY_MFA, { input: { mfaToken: "x".repeat(43), code: "123456" } });
    expect(errorOf(code).reason).toBe("MFA_TOKEN_INVALID");
    // Six used: the next login is refused with a retry time within the minute, right password or not.
    const refused = await login(client, username, password);
    expect(codeOf(refused)).toBe("RATE_LIMITED");
    expect(refused.body.errors?.[0]?.extensions?.retryAfter).toBeLessThanOrEqual(60);
    expect(refused.status).toBe(429);
  });
});

// Finding 4: sessions per user were unbounded (543 sessions, 1.8 MB answers; ASVS 2.4.1, CWE-770).
describe.each(STORES)("finding 4: the per-account session cap on $name", (kind) => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(kind, { clock, env: { MAX_SESSIONS_PER_USER: "3" } });

  it("ends the least recently used session when a login goes beyond MAX_SESSIONS_PER_USER (CWE-770)", async () => {
    const { server } = fixture;
    const first = server.client();
    const { username, password } = await signUpUser(first);
    const devices: GraphQLClient[] = [first];
    for (let i = 0; i < 2; i += 1) {
      clock.advance(1_000);
      const device = server.client();
      await logInUser(device, username, password);
      devices.push(device);
    }
    // The oldest device refreshes, so the second one is now the least recently used.
    clock.advance(1_000);
    const refreshed = await first.request(REFRESH);
    first.accessToken = refreshed.body.data.refreshToken.accessToken;
    const [, leastRecent, third] = devices as [GraphQLClient, GraphQLClient, GraphQLClient];

    clock.advance(1_000);
    const fourth = server.client();
    await logInUser(fourth, username, password);

    await eventually("the least recently used session's token is refused", async () => {
      return errorOf(await meWith(server, leastRecent.accessToken as string)).reason === "SESSION_REVOKED";
    });
    expect(errorOf(await leastRecent.request(REFRESH)).reason).toBe("REFRESH_INVALID");
    for (const device of [first, third, fourth]) expect((await meWith(server, device.accessToken as string)).body.data?.me).toBeTruthy();
    expect((await fourth.request(SESSIONS)).body.data.sessions).toHaveLength(3);
  });
});

// Finding 8: a demoted ADMIN kept `users` until its access token expired. Roles for privileged
// fields now come from the store (CWE-613).
describe.each(STORES)("finding 8: a demoted administrator on $name", (kind) => {
  const fixture = serverPerSuite(kind);

  it("loses the ADMIN-only users query at once, with the token it already holds (CWE-613)", async () => {
    const client = fixture.server.client();
    const { user, username, password } = await signUpUser(client);
    await execSql(fixture.store, "update users set roles = ? where id = ?", ["USER,ADMIN", user.id]);
    await logInUser(client, username, password);
    expect((await client.request(USERS)).body.errors).toBeUndefined();
    await execSql(fixture.store, "update users set roles = ? where id = ?", ["USER", user.id]);
    expect(codeOf(await client.request(USERS))).toBe("FORBIDDEN");
  });
});
