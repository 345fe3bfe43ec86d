import { describe, expect, it } from "vitest";
import { LOGIN, LOGOUT, REFRESH } from "../support/graphql-client.js";
import { STORES } from "../support/stores.js";
import { expectRefused, expectRefusedOverHttp, expectSessionIntact, targetPerSuite } from "./attack-kit.js";

const APP_ORIGIN = "https://app.example.com";
const EVIL_ORIGIN = "https://evil.example";

/**
 * Cross-site request forgery against the cookie-reading mutations, and what CORS lets a foreign
 * page read (OWASP ASVS 3.5.1 to 3.5.3, RFC 9700 §4.14). The victim's browser would attach the
 * refresh cookie to each of these requests, so each is sent with it.
 */
describe.each(STORES)("CSRF and cross-origin requests on $name", (kind) => {
  const target = targetPerSuite(kind, { env: { CORS_ORIGINS: APP_ORIGIN } });

  const asVictim = (query: string, headers: Record<string, string>) =>
    target.victim.client.request(query, undefined, { headers, token: "" });

  it("refuses refreshToken from a foreign Origin with FORBIDDEN and leaves the cookie unrotated (ASVS 3.5.1)", async () => {
    const before = target.victim.client.cookieHeader();
    for (const origin of [EVIL_ORIGIN, "null", `${APP_ORIGIN}.evil.example`, "http://app.example.com", `${APP_ORIGIN}:8443`]) {
      const response = await asVictim(REFRESH, { origin });
      expect(expectRefused(response).code, origin).toBe("FORBIDDEN");
      expect(response.setCookies, "a refused refresh must not touch the cookie").toEqual([]);
    }
    expect(target.victim.client.cookieHeader()).toBe(before);
    // The very cookie presented in the attacks still rotates from the real app's origin.
    const fromApp = await asVictim(REFRESH, { origin: APP_ORIGIN });
    expect(fromApp.body.errors).toBeUndefined();
    target.victim.client.accessToken = fromApp.body.data.refreshToken.accessToken;
  });

  it("refuses logout from a foreign Origin and the session goes on (ASVS 3.5.1)", async () => {
    const response = await asVictim(LOGOUT, { origin: EVIL_ORIGIN });
    expect(expectRefused(response).code).toBe("FORBIDDEN");
    expect(response.setCookies).toEqual([]);
    await expectSessionIntact(target.victim);
  });

  it("refuses a cross-site browser request without Origin, by Sec-Fetch-Site (ASVS 3.5.3)", async () => {
    for (const query of [REFRESH, LOGOUT]) {
      expect(expectRefused(await asVictim(query, { "sec-fetch-site": "cross-site" })).code).toBe("FORBIDDEN");
    }
    await expectSessionIntact(target.victim);
  });

  it("lets a request without Origin (curl, a server) and a same-origin browser request through (ASVS 3.5.3, the API contract)", async () => {
    const plain = await asVictim(REFRESH, {});
    expect(plain.body.errors).toBeUndefined();
    const sameOrigin = await asVictim(REFRESH, { "sec-fetch-site": "same-origin" });
    expect(sameOrigin.body.errors).toBeUndefined();
    target.victim.client.accessToken = sameOrigin.body.data.refreshToken.accessToken;
    await expectSessionIntact(target.victim);
  });

  it("echoes only allowed origins in CORS, with credentials, and nothing for others (ASVS 3.4.2)", async () => {
    const preflight = (origin: string) =>
      fetch(`${target.server.url}/graphql`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
      });
    const allowed = await preflight(APP_ORIGIN);
    expect(allowed.status).toBeLessThan(300);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    expect(allowed.headers.get("vary") ?? "").toMatch(/origin/i);

    for (const origin of [EVIL_ORIGIN, "null", `${APP_ORIGIN}.evil.example`]) {
      const refused = await preflight(origin);
      expect(refused.status, origin).toBeLessThan(500);
      expect(refused.headers.get("access-control-allow-origin"), origin).toBeNull();
      expect(refused.headers.get("access-control-allow-credentials"), origin).toBeNull();
    }

    const post = (origin: string) =>
      fetch(`${target.server.url}/graphql`, {
        method: "POST",
        headers: { origin, "content-type": "application/json" },
        body: JSON.stringify({ query: "{ __typename }" }),
      });
    expect((await post(APP_ORIGIN)).headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
    expect((await post(EVIL_ORIGIN)).headers.get("access-control-allow-origin")).toBeNull();
  });

  it("refuses logout and refreshToken posted as text/plain, form-encoded and multipart, the forms a foreign page can send (ASVS 3.5.2)", async () => {
    for (const operation of [LOGOUT, REFRESH]) {
      const json = JSON.stringify({ query: operation });
      const form = new FormData();
      form.set("query", operation);
      const bodies: { type?: string; body: NonNullable<RequestInit["body"]> }[] = [
        { type: "text/plain", body: json },
        { type: "text/plain;charset=UTF-8", body: json },
        { type: "application/x-www-form-urlencoded", body: new URLSearchParams({ query: operation }).toString() },
        { body: form },
      ];
      for (const { type, body } of bodies) {
        const response = await fetch(`${target.server.url}/graphql`, {
          method: "POST",
          headers: { ...(type ? { "content-type": type } : {}), cookie: target.victim.client.cookieHeader(), origin: EVIL_ORIGIN },
          body,
        });
        expect(response.headers.getSetCookie()).toEqual([]);
        const refused = await expectRefusedOverHttp(response);
        expect(refused.status, type ?? "multipart").toBe(400);
      }
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses mutations sent with GET, with or without a preflight header (ASVS 3.5.3)", async () => {
    for (const query of [LOGOUT, REFRESH]) {
      for (const headers of [{}, { "apollo-require-preflight": "true" }, { "content-type": "application/json" }] as Record<
        string,
        string
      >[]) {
        const response = await fetch(`${target.server.url}/graphql?query=${encodeURIComponent(query)}`, {
          headers: { ...headers, cookie: target.victim.client.cookieHeader() },
        });
        expect(response.headers.getSetCookie()).toEqual([]);
        const refused = await expectRefusedOverHttp(response);
        expect([400, 405]).toContain(refused.status);
      }
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses a login posted cross-site as text/plain, so no session is planted in the victim's browser (login CSRF, ASVS 3.5.2)", async () => {
    const response = await fetch(`${target.server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "text/plain", origin: EVIL_ORIGIN },
      body: JSON.stringify({ query: LOGIN, variables: { input: { username: target.victim.username, password: target.victim.password } } }),
    });
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await expectRefusedOverHttp(response)).status).toBe(400);
  });
});
