import { describe, expect, it } from "vitest";
import { expectAccepted, meWith } from "./support/access-token-checks.js";
import { CHANGE_PASSWORD, errorOf, type GraphQLClient, LOGOUT, LOGOUT_ALL, REFRESH, REVOKE_SESSION } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { refreshCookieOf, refreshWith, serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { logInUser, signUpUser } from "./support/test-server.js";

/** Each test reads `me` with the access token it kept; ending the session must refuse it at once. */
describe.each(STORES)("ending a session refuses its access tokens at once on $name", (kind) => {
  const fixture = serverPerSuite(kind);

  /** A second device of the same user: its own session, access token and cookie. */
  async function secondDevice(username: string, password: string): Promise<GraphQLClient> {
    const other = fixture.server.client();
    await logInUser(other, username, password);
    return other;
  }

  async function expectRevoked(token: string | undefined) {
    const me = await meWith(fixture.server, token as string);
    expect(me.body.data).toBeNull();
    expect(errorOf(me)).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
  }

  it("refuses the access token of a session ended by logout, which stays unexpired", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const token = client.accessToken;
    await expectAccepted(fixture.server, token as string);
    const logout = await client.request(LOGOUT);
    expect(logout.body.data?.logout).toBe(true);
    await expectRevoked(token);
  });

  it("refuses the access token of another device's session ended by revokeSession, and only that one", async () => {
    const client = fixture.server.client();
    const { username, password } = await signUpUser(client);
    const other = await secondDevice(username, password);
    const otherSid = claimsOf(other.accessToken as string).sid as string;

    const revoked = await client.request(REVOKE_SESSION, { id: otherSid });
    expect(revoked.body.data?.revokeSession).toBe(true);
    await expectRevoked(other.accessToken);
    await expectAccepted(fixture.server, client.accessToken as string);
  });

  it("refuses the caller's own access token once revokeSession ends the current session", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const sid = claimsOf(client.accessToken as string).sid as string;
    const revoked = await client.request(REVOKE_SESSION, { id: sid });
    expect(revoked.body.data?.revokeSession).toBe(true);
    await expectRevoked(client.accessToken);
  });

  it("refuses the access tokens of every session after logoutAll", async () => {
    const client = fixture.server.client();
    const { username, password } = await signUpUser(client);
    const other = await secondDevice(username, password);
    const ended = await client.request(LOGOUT_ALL);
    expect(ended.body.data?.logoutAll).toBe(2);
    await expectRevoked(client.accessToken);
    await expectRevoked(other.accessToken);
  });

  it("refuses other sessions' access tokens after changePassword, while the caller's new token works", async () => {
    const client = fixture.server.client();
    const { username, password } = await signUpUser(client);
    const other = await secondDevice(username, password);
    const changed = await client.request(CHANGE_PASSWORD, {
      input: { currentPassword: password, newPassword: "a brand new passphrase 42" },
    });
    expect(changed.body.errors).toBeUndefined();
    await expectRevoked(other.accessToken);
    await expectAccepted(fixture.server, changed.body.data?.changePassword.accessToken as string);
  });

  it("refuses the newest access token of a session ended by refresh-token theft", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const grandparent = refreshCookieOf(fixture, client);
    await client.request(REFRESH);
    const latest = await client.request(REFRESH);
    const newestAccess = latest.body.data?.refreshToken.accessToken;
    await expectAccepted(fixture.server, newestAccess as string);

    const theft = await refreshWith(fixture, grandparent);
    expect(errorOf(theft)).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_REUSED" });
    await expectRevoked(newestAccess);
  });
});
