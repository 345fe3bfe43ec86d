import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, HAS_CHROMIUM, launchChromium, loopbackContext } from "./support/chromium.js";
import { LOGOUT, REFRESH, SIGN_UP } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { SQLITE } from "./support/stores.js";
import { PRODUCTION_ENV } from "./support/test-config.js";

/** What a page's own fetch got back: the GraphQL body, or the reason the browser gave none. */
type GraphQLBody = { data?: any; errors?: { extensions?: Record<string, any> }[] };
type PageResult = { status: number; body: GraphQLBody } | { blocked: string };

/** Runs one GraphQL request with `fetch` inside the page, with the browser's cookies and Origin. */
function pageGraphQL(page: Page, endpoint: string, query: string, variables?: Record<string, unknown>): Promise<PageResult> {
  return page.evaluate(
    async ({ endpoint, query, variables }) => {
      try {
        const res = await fetch(endpoint, {
          method: "POST",
          credentials: "include",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ query, variables }),
        });
        return { status: res.status, body: (await res.json()) as GraphQLBody };
      } catch (error) {
        return { blocked: String(error) };
      }
    },
    { endpoint, query, variables },
  );
}

let counter = 0;
function newUserInput() {
  counter += 1;
  const username = `browser${process.pid}_${counter}`;
  return { username, email: `${username}@example.com`, password: "correct horse battery staple" };
}

async function refreshCookie(context: BrowserContext, url: string, name: string) {
  return (await context.cookies(`${url}/graphql`)).find((cookie) => cookie.name === name);
}

if (!HAS_CHROMIUM) console.warn(`browser suite skipped: ${CHROMIUM_PATH} is not installed (apt-get install chromium)`);

describe.skipIf(!HAS_CHROMIUM)(`refresh cookie in a real browser (needs ${CHROMIUM_PATH})`, () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  describe("same origin, development settings", () => {
    const fixture = serverPerSuite(SQLITE);

    /** A fresh browser profile on a page of the server's own origin, signed up through fetch. */
    async function signedInPage() {
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      await page.goto(`${fixture.server.url}/healthz`);
      const signUp = await pageGraphQL(page, "/graphql", SIGN_UP, { input: newUserInput() });
      return { context, page, signUp };
    }

    it("keeps the refresh token out of page scripts' reach: HttpOnly cookie, absent from document.cookie and the body", async () => {
      const { context, page, signUp } = await signedInPage();
      expect(signUp).toMatchObject({ status: 200, body: { data: { signUp: { tokenType: "Bearer" } } } });
      const cookie = await refreshCookie(context, fixture.server.url, "refresh_token");
      expect(cookie).toMatchObject({ httpOnly: true, path: "/graphql", sameSite: "Lax" });
      expect(JSON.stringify(signUp)).not.toContain(cookie?.value);
      // document.cookie only lists cookies whose Path covers the page, so look from under /graphql.
      await page.goto(`${fixture.server.url}/graphql`);
      // The project compiles without the DOM library; this function runs in the page, where it exists.
      const visible = await page.evaluate(() => (globalThis as unknown as { document: { cookie: string } }).document.cookie);
      expect(visible).not.toContain("refresh_token");
      expect(visible).not.toContain(cookie?.value);
      await context.close();
    });

    it("rotates through the browser's own cookie jar: two refreshes in a row each present the newest cookie", async () => {
      const { context, page } = await signedInPage();
      const first = (await refreshCookie(context, fixture.server.url, "refresh_token"))?.value;
      const r1 = await pageGraphQL(page, "/graphql", REFRESH);
      expect(r1).toMatchObject({ status: 200, body: { data: { refreshToken: { tokenType: "Bearer" } } } });
      const second = (await refreshCookie(context, fixture.server.url, "refresh_token"))?.value;
      const r2 = await pageGraphQL(page, "/graphql", REFRESH);
      expect(r2).toMatchObject({ status: 200, body: { data: { refreshToken: { tokenType: "Bearer" } } } });
      const third = (await refreshCookie(context, fixture.server.url, "refresh_token"))?.value;
      // Within the reuse grace a stale cookie is answered with the same successor, so a third value
      // different from the second proves the browser sent the second one, not the first again.
      expect(first).toBeTruthy();
      expect(new Set([first, second, third]).size).toBe(3);
      await context.close();
    });

    it("logout clears the cookie in the browser, so the next refreshToken is REFRESH_MISSING", async () => {
      const { context, page } = await signedInPage();
      expect(await refreshCookie(context, fixture.server.url, "refresh_token")).toBeDefined();
      const out = await pageGraphQL(page, "/graphql", LOGOUT);
      expect(out).toMatchObject({ status: 200, body: { data: { logout: true } } });
      expect(await refreshCookie(context, fixture.server.url, "refresh_token")).toBeUndefined();
      const after = await pageGraphQL(page, "/graphql", REFRESH);
      expect(after).toMatchObject({ body: { errors: [{ extensions: { code: "UNAUTHENTICATED", reason: "REFRESH_MISSING" } }] } });
      await context.close();
    });

    it("serves the development landing page with Sandbox set to include cookies (else refreshToken fails there)", async () => {
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      const response = await page.goto(`${fixture.server.url}/graphql`, { waitUntil: "domcontentloaded" });
      expect(response?.status()).toBe(200);
      expect(response?.headers()["content-type"]).toMatch(/^text\/html/);
      const html = (await response?.text()) ?? "";
      const config = /var embeddedSandboxConfig = (\{.*\});/.exec(html)?.[1];
      expect(config).toBeDefined();
      expect(JSON.parse(config ?? "{}")).toMatchObject({ initialState: { includeCookies: true } });
      // For a person to look at; the Sandbox script itself lives on a CDN this machine cannot reach,
      // so this shows Apollo's offline fallback, whose fade-in "disabled" fast-forwards.
      await page.screenshot({ path: "/tmp/landing.png", animations: "disabled" });
      await context.close();
    });
  });

  describe("another origin, production settings", () => {
    // Production: only CORS_ORIGINS may call with credentials (development also allows any local
    // origin, which would let the page below in).
    const fixture = serverPerSuite(SQLITE, { env: { ...PRODUCTION_ENV, CORS_ORIGINS: "https://app.example.com" } });
    let other: Server;
    let otherUrl: string;
    beforeAll(async () => {
      // Same host, other port: same-site, so SameSite=Lax does not hold the cookie back and only
      // CORS and the Origin check stand between this page and the session (OWASP ASVS 3.5.2).
      other = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>other</title>"));
      await new Promise<void>((resolve) => other.listen(0, "127.0.0.1", resolve));
      otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => other?.close(resolve));
    });

    it("refuses a credentialed refreshToken or logout from a page on an origin not in CORS_ORIGINS, and the session survives", async () => {
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      await page.goto(`${fixture.server.url}/healthz`);
      const signUp = await pageGraphQL(page, "/graphql", SIGN_UP, { input: newUserInput() });
      expect(signUp).toMatchObject({ status: 200, body: { data: { signUp: { tokenType: "Bearer" } } } });
      const cookie = (await context.cookies(fixture.server.url)).find((c) => c.name === "__Host-refresh_token");
      expect(cookie).toMatchObject({ httpOnly: true, secure: true, path: "/" });

      await page.goto(otherUrl);
      for (const query of [REFRESH, LOGOUT]) {
        const result = await pageGraphQL(page, `${fixture.server.url}/graphql`, query);
        if ("blocked" in result) expect(result.blocked).toMatch(/TypeError/);
        else expect(result.body.errors?.[0]?.extensions?.code).toBe("FORBIDDEN");
      }
      // A request CORS does not preflight, whose answer the page cannot read: it must still change nothing.
      await page.evaluate(
        (endpoint) => fetch(endpoint, { method: "POST", mode: "no-cors", credentials: "include", body: '{"query":"mutation { logout }"}' }),
        `${fixture.server.url}/graphql`,
      );

      expect((await context.cookies(fixture.server.url)).find((c) => c.name === "__Host-refresh_token")?.value).toBe(cookie?.value);
      const owner = await fixture.server.client().request(REFRESH, undefined, { cookie: `__Host-refresh_token=${cookie?.value}` });
      expect(owner.body.errors).toBeUndefined();
      expect(owner.body.data.refreshToken.tokenType).toBe("Bearer");
      await context.close();
    });

    it("serves no landing page in production, so no Sandbox configuration reaches a browser there", async () => {
      const context = await loopbackContext(browser);
      const page = await context.newPage();
      const response = await page.goto(`${fixture.server.url}/graphql`, { waitUntil: "domcontentloaded" });
      expect(response?.headers()["content-type"]).not.toMatch(/^text\/html/);
      expect((await response?.text()) ?? "").not.toContain("embeddedSandboxConfig");
      await context.close();
    });
  });
});
