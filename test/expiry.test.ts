import { describe, expect, it } from "vitest";
import { errorOf, type GraphQLClient, ME, REFRESH, SESSIONS } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { ManualClock } from "./support/manual-clock.js";
import { refreshCookieOf, refreshWith, serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

describe.each(STORES)("expiry with a manual clock on $name", (kind) => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(kind, {
    clock,
    env: { ACCESS_TOKEN_TTL: "10m", JWT_CLOCK_TOLERANCE: "5s", REFRESH_TOKEN_TTL: "1d", SESSION_MAX_AGE: "3d" },
  });

  /** Refreshes with the client's cookie and keeps the new access token. */
  async function refresh(client: GraphQLClient) {
    const res = await client.request(REFRESH);
    if (res.body.data?.refreshToken) client.accessToken = res.body.data.refreshToken.accessToken;
    return res;
  }

  /** The caller's own session as `sessions` reports it. */
  async function currentSession(client: GraphQLClient): Promise<{ id: string; createdAt: string; expiresAt: string }> {
    const res = await client.request(SESSIONS);
    return res.body.data?.sessions.find((s: { current: boolean }) => s.current);
  }

  it("refuses an access token past exp plus the clock tolerance with TOKEN_EXPIRED, which a refresh then cures", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    clock.advance(10 * MINUTE - SECOND);
    expect((await client.request(ME)).body.errors).toBeUndefined();

    clock.advance(7 * SECOND);
    expect(errorOf(await client.request(ME))).toEqual({ code: "UNAUTHENTICATED", reason: "TOKEN_EXPIRED" });
    expect((await refresh(client)).body.errors).toBeUndefined();
    expect((await client.request(ME)).body.errors).toBeUndefined();
  });

  it("ends a session left idle past REFRESH_TOKEN_TTL: its refresh token gets REFRESH_INVALID", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const token = refreshCookieOf(fixture, client);
    clock.advance(24 * HOUR + SECOND);
    const refused = await refreshWith(fixture, token);
    expect(errorOf(refused)).toEqual({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
    expect(setRefreshCookie(fixture, refused)).toBeUndefined();
  });

  it("keeps a session alive while it is refreshed, but never past SESSION_MAX_AGE from login", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const started = Date.parse((await currentSession(client)).createdAt);

    // Every 20 hours, each inside REFRESH_TOKEN_TTL of the last: 60 hours, well past one TTL.
    for (let i = 0; i < 3; i += 1) {
      clock.advance(20 * HOUR);
      expect((await refresh(client)).body.errors, `refresh ${i + 1}`).toBeUndefined();
    }
    // 60 hours in, a full day more would pass the 3-day limit: the session says when it really ends.
    expect(Date.parse((await currentSession(client)).expiresAt)).toBe(started + 72 * HOUR);

    clock.advance(12 * HOUR - MINUTE);
    expect((await refresh(client)).body.errors).toBeUndefined();
    clock.advance(MINUTE);
    expect(errorOf(await refresh(client))).toEqual({ code: "UNAUTHENTICATED", reason: "REFRESH_INVALID" });
  });

  it("never lets expiresIn or the access token's exp run past the session's own expiry", async () => {
    const client = fixture.server.client();
    const { response } = await signUpUser(client);
    expect(response.body.data?.signUp.expiresIn).toBe(600);
    const started = Date.parse((await currentSession(client)).createdAt);

    for (const at of [20 * HOUR, 40 * HOUR, 60 * HOUR, 72 * HOUR - 5 * MINUTE]) {
      clock.advance(started + at - clock.now());
      const res = await refresh(client);
      const payload = res.body.data?.refreshToken;
      const session = await currentSession(client);
      const sessionEnds = Date.parse(session.expiresAt);
      const claims = claimsOf(payload.accessToken);
      expect(claims.sid).toBe(session.id);
      expect((claims.exp as number) * SECOND).toBeLessThanOrEqual(sessionEnds);
      expect(clock.now() + payload.expiresIn * SECOND).toBeLessThanOrEqual(sessionEnds + SECOND);
      expect(payload.expiresIn).toBe((claims.exp as number) - (claims.iat as number));
    }
    // Five minutes before the limit the token lives five minutes, not ten.
    const last = claimsOf(client.accessToken as string);
    expect((last.exp as number) - (last.iat as number)).toBeLessThanOrEqual(300);
  });
});
