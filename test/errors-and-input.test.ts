import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CHANGE_PASSWORD, errorOf, type GraphQLResponse, LOGIN, LOGOUT, ME, REFRESH, SIGN_UP } from "./support/graphql-client.js";
import { craftJwt, hmacSigner } from "./support/jwt.js";
import { refreshCookieOf, refreshWith, serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { TEST_ACCESS_SECRET } from "./support/test-config.js";
import { logInUser, signUpUser } from "./support/test-server.js";

const ISSUER = "https://auth.test";
const AUDIENCE = "auth-test-api";

/** An access token as the API would sign it, with claims or header fields overridden. */
function craftToken(overrides: { claims?: Record<string, unknown>; secret?: string; typ?: string } = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    sub: randomUUID(),
    sid: randomUUID(),
    roles: ["USER"],
    username: "someone",
    email: "someone@example.com",
    jti: randomUUID(),
  };
  return craftJwt(
    { alg: "HS256", typ: overrides.typ ?? "at+jwt" },
    { ...claims, iat: now, exp: now + 600, iss: ISSUER, aud: AUDIENCE, ...overrides.claims },
    hmacSigner(overrides.secret ?? TEST_ACCESS_SECRET),
  );
}

const unauthenticated = (reason: string) => ({ code: "UNAUTHENTICATED", reason });

describe.each(STORES)("error codes and reasons on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } });
  const me = (token?: string, authorization?: string) =>
    fixture.server.client().request(ME, undefined, authorization ? { headers: { authorization } } : { token });

  it("reports TOKEN_MISSING for a protected field without an Authorization header", async () => {
    expect(errorOf(await me())).toEqual(unauthenticated("TOKEN_MISSING"));
  });

  it("reports TOKEN_INVALID for malformed, foreign-key, unsigned and mistyped tokens", async () => {
    const unsigned = `${Buffer.from(JSON.stringify({ alg: "none", typ: "at+jwt" })).toString("base64url")}.${craftToken().split(".")[1]}.`;
    for (const authorization of [
      "Bearer garbage",
      "Basic dXNlcjpwYXNzd29yZA==",
      `Bearer ${craftToken({ secret: "another-secret-of-at-least-thirty-two-bytes" })}`,
      `Bearer ${unsigned}`,
      // RFC 9068 §4: a JWT of another type, signed with the same key, is not an access token.
      `Bearer ${craftToken({ typ: "JWT" })}`,
      `Bearer ${craftToken({ claims: { aud: "another-api" } })}`,
    ]) {
      expect(errorOf(await me(undefined, authorization)), authorization.slice(0, 20)).toEqual(unauthenticated("TOKEN_INVALID"));
    }
  });

  it("reports TOKEN_EXPIRED for an expired token, so the client knows refreshing helps", async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    expect(errorOf(await me(craftToken({ claims: { iat: past, exp: past + 600 } })))).toEqual(unauthenticated("TOKEN_EXPIRED"));
  });

  it("reports SESSION_REVOKED for a still-unexpired access token of a logged-out session", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    await client.request(LOGOUT);
    expect(errorOf(await me(client.accessToken))).toEqual(unauthenticated("SESSION_REVOKED"));
  });

  it("reports REFRESH_MISSING when refreshToken comes without a cookie", async () => {
    expect(errorOf(await fixture.server.client().request(REFRESH))).toEqual(unauthenticated("REFRESH_MISSING"));
    const empty = await fixture.server.client().request(REFRESH, undefined, { cookie: `${fixture.cookieName}=` });
    expect(errorOf(empty)).toEqual(unauthenticated("REFRESH_MISSING"));
  });

  it("reports REFRESH_INVALID for a garbage cookie, a tampered MAC and an unknown session, and leaves the real session alive", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const real = refreshCookieOf(fixture, client);
    const [sessionId, generation, mac = ""] = real.split(".");
    // Change a character inside the MAC (the last one may only carry padding bits).
    const tampered = `${sessionId}.${generation}.${mac.slice(0, 10)}${mac[10] === "A" ? "B" : "A"}${mac.slice(11)}`;
    for (const token of ["garbage", tampered, `${randomUUID()}.0.${mac}`, `${sessionId}.${Number(generation) + 1}.${mac}`]) {
      const refused = await refreshWith(fixture, token);
      expect(errorOf(refused)).toEqual(unauthenticated("REFRESH_INVALID"));
      expect(setRefreshCookie(fixture, refused)).toBeUndefined();
    }
    expect((await refreshWith(fixture, real)).body.errors).toBeUndefined();
  });

  it("gives an unknown user and a wrong password the same code, reason and message", async () => {
    const { username } = await signUpUser(fixture.server.client());
    const login = (name: string) =>
      fixture.server.client().request(LOGIN, { input: { username: name, password: "not the right password" } });
    const wrongPassword = await login(username);
    const unknownUser = await login(`nobody_${randomUUID().slice(0, 8)}`);
    expect(errorOf(wrongPassword)).toEqual(unauthenticated("INVALID_CREDENTIALS"));
    expect(errorOf(unknownUser)).toEqual(unauthenticated("INVALID_CREDENTIALS"));
    expect(unknownUser.body.errors?.[0]?.message).toBe(wrongPassword.body.errors?.[0]?.message);
    expect(wrongPassword.setCookies).toEqual([]);
  });

  it("lets a stale or garbage Authorization header never break signUp, login, refreshToken or logout", async () => {
    const expired = craftToken({ claims: { iat: 1_000, exp: 1_600 } });
    const loggedOut = fixture.server.client();
    await signUpUser(loggedOut);
    await loggedOut.request(LOGOUT);
    const revoked = `Bearer ${loggedOut.accessToken}`;
    for (const authorization of ["Bearer garbage", `Bearer ${expired}`, revoked, "Basic dXNlcjpwYXNzd29yZA==", "Bearer "]) {
      const headers = { authorization };
      const client = fixture.server.client();
      const { username, password } = await signUpUser(fixture.server.client());
      const signedUp = await client.request(
        SIGN_UP,
        { input: { username: `${username}x`, email: `x${username}@example.com`, password } },
        { headers },
      );
      expect(signedUp.body.errors, authorization).toBeUndefined();
      const loggedIn = await client.request(LOGIN, { input: { username, password } }, { headers });
      expect(loggedIn.body.errors, authorization).toBeUndefined();
      const refreshed = await client.request(REFRESH, undefined, { headers });
      expect(refreshed.body.errors, authorization).toBeUndefined();
      const out = await client.request(LOGOUT, undefined, { headers });
      expect(out.body, authorization).toEqual({ data: { logout: true } });
    }
  });

  describe("responses that carry tokens", () => {
    /** signUp, login, refreshToken and changePassword in turn, each with the refresh cookie it set. */
    async function tokenResponses(): Promise<[string, GraphQLResponse, string][]> {
      const client = fixture.server.client();
      const { username, password, response: signUp } = await signUpUser(client);
      const signUpCookie = refreshCookieOf(fixture, client);
      const login = await logInUser(client, username, password);
      const loginCookie = refreshCookieOf(fixture, client);
      const refresh = await client.request(REFRESH);
      const refreshCookie = refreshCookieOf(fixture, client);
      const change = await client.request(CHANGE_PASSWORD, { input: { currentPassword: password, newPassword: `${password} renewed` } });
      return [
        ["signUp", signUp, signUpCookie],
        ["login", login, loginCookie],
        ["refreshToken", refresh, refreshCookie],
        ["changePassword", change, refreshCookieOf(fixture, client)],
      ];
    }

    it("are sent with Cache-Control: no-store and keep the refresh token out of the body", async () => {
      for (const [operation, response, cookie] of await tokenResponses()) {
        expect(response.body.errors, operation).toBeUndefined();
        expect(response.headers.get("cache-control"), operation).toMatch(/\bno-store\b/);
        expect(setRefreshCookie(fixture, response)?.value, operation).toBe(cookie);
        const body = JSON.stringify(response.body);
        expect(body.includes(cookie), operation).toBe(false);
        // Nor any part that would let a page script rebuild it.
        expect(body.includes(cookie.split(".")[2] as string), operation).toBe(false);
      }
    });

    it("include every answer of a signed-in caller: no-store, and no ETag to revalidate it with", async () => {
      const client = fixture.server.client();
      const { response } = await signUpUser(client);
      const token = (response.body.data as { signUp: { accessToken: string } }).signUp.accessToken;
      const me = await client.request(ME, undefined, { headers: { authorization: `Bearer ${token}` } });
      expect(me.body.errors).toBeUndefined();
      expect(me.headers.get("cache-control")).toBe("no-store");
      expect(me.headers.get("etag")).toBeNull();
    });
  });
});
