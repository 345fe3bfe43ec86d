import { describe, expect, it } from "vitest";
import { isClearing, type SetCookie } from "../support/set-cookie.js";
import { LOGOUT, REFRESH } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { PRODUCTION_ENV } from "./support/test-config.js";
import { signUpUser } from "./support/test-server.js";

const MINUTE = 60_000;

interface CookieCase {
  readonly title: string;
  readonly env: Record<string, string>;
  readonly name: string;
  readonly path: string;
  readonly sameSite: "Lax" | "Strict" | "None";
  readonly secure: boolean;
  readonly domain?: string;
}

/** RFC 6265bis §4.1.3.2 and OWASP ASVS 3.3.1 to 3.3.4, as the contract's cookie section spells them out. */
const CASES: readonly CookieCase[] = [
  {
    title: "development defaults",
    env: { NODE_ENV: "development" },
    name: "refresh_token",
    path: "/graphql",
    sameSite: "Lax",
    secure: false,
  },
  // Production is started with strong secrets (the test ones are over 32 bytes).
  { title: "production defaults", env: PRODUCTION_ENV, name: "__Host-refresh_token", path: "/", sameSite: "Lax", secure: true },
  {
    title: "COOKIE_SAMESITE=None, which forces Secure",
    env: { NODE_ENV: "development", COOKIE_SAMESITE: "None" },
    name: "refresh_token",
    path: "/graphql",
    sameSite: "None",
    secure: true,
  },
  {
    title: "COOKIE_DOMAIN and COOKIE_SECURE set",
    env: { NODE_ENV: "development", COOKIE_DOMAIN: "auth.example.test", COOKIE_SECURE: "true", COOKIE_SAMESITE: "strict" },
    name: "refresh_token",
    path: "/graphql",
    sameSite: "Strict",
    secure: true,
    domain: "auth.example.test",
  },
];

function expectAttributes(cookie: SetCookie | undefined, expected: CookieCase): void {
  expect(cookie?.name).toBe(expected.name);
  expect(cookie?.attributes.get("httponly")).toBe(true);
  expect(cookie?.attributes.get("path")).toBe(expected.path);
  expect(cookie?.attributes.get("samesite")).toBe(expected.sameSite);
  expect(cookie?.attributes.get("secure")).toBe(expected.secure ? true : undefined);
  expect(cookie?.attributes.get("domain")).toBe(expected.domain);
}

describe.each(STORES)("refresh cookie attributes on $name", (kind) => {
  describe.each(CASES)("with $title", (expected) => {
    const clock = new ManualClock();
    const fixture = serverPerSuite(kind, { clock, env: expected.env });

    it("sets the cookie on signUp and refreshToken with the configured attributes and Max-Age of REFRESH_TOKEN_TTL", async () => {
      const client = fixture.server.client();
      const { response } = await signUpUser(client);
      const issued = setRefreshCookie(fixture, response);
      expectAttributes(issued, expected);
      expect(Number(issued?.attributes.get("max-age"))).toBe(86_400);

      clock.advance(MINUTE);
      const refreshed = setRefreshCookie(fixture, await client.request(REFRESH));
      expectAttributes(refreshed, expected);
      expect(Number(refreshed?.attributes.get("max-age"))).toBe(86_400);
    });

    it("clears the cookie on logout under the same name, path and domain, so the browser really drops it", async () => {
      const client = fixture.server.client();
      await signUpUser(client);
      const cleared = setRefreshCookie(fixture, await client.request(LOGOUT));
      expectAttributes(cleared, expected);
      expect(cleared && isClearing(cleared)).toBe(true);
    });
  });

  describe("near the session's absolute limit", () => {
    const clock = new ManualClock();
    const fixture = serverPerSuite(kind, { clock, env: { REFRESH_TOKEN_TTL: "1h", SESSION_MAX_AGE: "2h" } });

    it("never gives Max-Age beyond the session's remaining absolute lifetime (SESSION_MAX_AGE)", async () => {
      const client = fixture.server.client();
      const { response } = await signUpUser(client);
      expect(Number(setRefreshCookie(fixture, response)?.attributes.get("max-age"))).toBe(3_600);

      clock.advance(50 * MINUTE);
      const midway = await client.request(REFRESH);
      expect(Number(setRefreshCookie(fixture, midway)?.attributes.get("max-age"))).toBe(3_600);

      // 100 minutes in: a full REFRESH_TOKEN_TTL would run past the 120-minute limit.
      clock.advance(50 * MINUTE);
      const late = await client.request(REFRESH);
      expect(late.body.errors).toBeUndefined();
      expect(Number(setRefreshCookie(fixture, late)?.attributes.get("max-age"))).toBe(20 * 60);
    });
  });
});
