import { describe, expect, it } from "vitest";
import { isClearing } from "../support/set-cookie.js";
import { errorOf, LOGOUT, ME, REFRESH } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { refreshCookieOf, refreshWith, type ServerFixture, serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const REUSE_GRACE_MS = 10_000;

describe.each(STORES)("sign-up, refresh and logout flow on $name", (kind) => {
  const env = { REFRESH_REUSE_GRACE: "10s" };
  const fixture = serverPerSuite(kind, { env });

  it("signs up, reads me, and rotates the refresh cookie on refresh", async () => {
    const client = fixture.server.client();
    const { username, response } = await signUpUser(client);
    expect(setRefreshCookie(fixture, response)?.value).toBeTruthy();
    const me = await client.request(ME);
    expect(me.body.data?.me.username).toBe(username);

    const first = refreshCookieOf(fixture, client);
    const refreshed = await client.request(REFRESH);
    expect(refreshed.body.errors).toBeUndefined();
    expect(refreshed.body.data?.refreshToken).toMatchObject({ tokenType: "Bearer", user: { username } });
    expect(refreshed.body.data?.refreshToken.accessToken).not.toBe(client.accessToken);
    const second = setRefreshCookie(fixture, refreshed)?.value;
    expect(second).toBeTruthy();
    expect(second).not.toBe(first);

    const meAgain = await client.request(ME, undefined, { token: refreshed.body.data?.refreshToken.accessToken });
    expect(meAgain.body.data?.me.username).toBe(username);
  });

  /** A server with its own clock, so no other test's time travel reaches the test that uses it. */
  function timedServer() {
    const clock = new ManualClock();
    return { clock, fixture: serverPerSuite(kind, { clock, env }) };
  }

  /** A signed-up client whose refresh cookie has rotated once: the parent and its successor. */
  async function rotatedOnce(on: ServerFixture): Promise<{ parent: string; successor: string }> {
    const client = on.server.client();
    await signUpUser(client);
    const parent = refreshCookieOf(on, client);
    const rotated = await client.request(REFRESH);
    return { parent, successor: setRefreshCookie(on, rotated)?.value as string };
  }

  describe("a parent replayed within the grace window", () => {
    const { clock, fixture } = timedServer();

    it("gets the same successor, not a new branch", async () => {
      const { parent, successor } = await rotatedOnce(fixture);

      clock.advance(REUSE_GRACE_MS - 1_000);
      const replayed = await refreshWith(fixture, parent);
      expect(replayed.body.errors).toBeUndefined();
      expect(setRefreshCookie(fixture, replayed)?.value).toBe(successor);

      // The successor is still the one live token: the replay did not fork the session.
      const next = await refreshWith(fixture, successor);
      expect(next.body.errors).toBeUndefined();
    });
  });

  it("revokes the whole session when a grandparent is replayed, so even the newest token stops refreshing", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const grandparent = refreshCookieOf(fixture, client);
    await client.request(REFRESH);
    const parent = refreshCookieOf(fixture, client);
    const latest = await client.request(REFRESH);
    const newest = refreshCookieOf(fixture, client);
    expect(new Set([grandparent, parent, newest]).size).toBe(3);

    const theft = await refreshWith(fixture, grandparent);
    expect(errorOf(theft)).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_REUSED" });
    expect(setRefreshCookie(fixture, theft)).toBeUndefined();

    expect(errorOf(await refreshWith(fixture, newest))).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    expect(errorOf(await refreshWith(fixture, parent))).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    // Theft also ends the session's unexpired access tokens.
    const me = await client.request(ME, undefined, { token: latest.body.data?.refreshToken.accessToken });
    expect(errorOf(me)).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
  });

  describe("a parent replayed after the grace window", () => {
    const { clock, fixture } = timedServer();

    it("is theft and ends the session for the owner too", async () => {
      const { parent, successor } = await rotatedOnce(fixture);

      clock.advance(REUSE_GRACE_MS + 1);
      const late = await refreshWith(fixture, parent);
      expect(errorOf(late)).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_REUSED" });
      expect(errorOf(await refreshWith(fixture, successor))).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    });
  });

  it("logout clears the cookie under the same name and path and ends the session", async () => {
    const client = fixture.server.client();
    const { response } = await signUpUser(client);
    const issued = setRefreshCookie(fixture, response);
    const token = refreshCookieOf(fixture, client);

    const out = await client.request(LOGOUT);
    expect(out.body).toEqual({ data: { logout: true } });
    const cleared = setRefreshCookie(fixture, out);
    expect(cleared && isClearing(cleared)).toBe(true);
    expect(cleared?.attributes.get("path")).toBe(issued?.attributes.get("path"));
    expect(cleared?.attributes.get("domain")).toBe(issued?.attributes.get("domain"));

    expect(errorOf(await refreshWith(fixture, token))).toMatchObject({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    expect(errorOf(await client.request(ME))).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
  });

  it("logout without a cookie, or with an unusable one, still answers true", async () => {
    const bare = await fixture.server.client().request(LOGOUT);
    expect(bare.body).toEqual({ data: { logout: true } });
    const garbage = await fixture.server.client().request(LOGOUT, undefined, { cookie: `${fixture.cookieName}=not-a-token` });
    expect(garbage.body).toEqual({ data: { logout: true } });
  });
});
