import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../client/example/build.js";
import { type ExampleServer, serveExample } from "../client/example/static-server.js";
import { CHROMIUM_PATH, HAS_CHROMIUM, launchChromium, loopbackContext } from "./support/chromium.js";
import { GraphQLClient, LOGOUT_ALL } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { oidcEnv } from "./support/oidc-flow.js";
import { OidcTestProvider } from "./support/oidc-test-provider.js";
import { nonBlankColours, type ScreenTraffic, watchGraphQL } from "./support/page-checks.js";
import { SQLITE, type TestStore } from "./support/stores.js";
import { logInUser, startTestServer, type TestServer } from "./support/test-server.js";

/** Past the 10-minute access token and the verifier's 5 s clock tolerance, on the server's clock only. */
const PAST_EXPIRY = 10 * 60_000 + 10_000;
const SCREENS = ".tmp/screens";

if (!HAS_CHROMIUM) console.warn(`example app suite skipped: ${CHROMIUM_PATH} is not installed (apt-get install chromium)`);

describe.skipIf(!HAS_CHROMIUM)(`the built example app in Chromium, beside the real API (needs ${CHROMIUM_PATH})`, () => {
  const clock = new ManualClock();
  let store: TestStore;
  let api: TestServer;
  let example: ExampleServer;
  let browser: Browser;
  let provider: OidcTestProvider;

  beforeAll(async () => {
    mkdirSync(SCREENS, { recursive: true });
    // The package as published (tsc build) and the example bundled against it, as CI has neither yet.
    const dist = await buildExample();
    example = await serveExample(dist, () => `${api.url}/graphql`);
    store = await SQLITE.create();
    provider = await OidcTestProvider.start();
    // The app's page is also its "Sign in with …" callback.
    const env = { ...oidcEnv(provider), OIDC_REDIRECT_URIS: `${example.url}/`, ACCESS_TOKEN_TTL: "10m", CORS_ORIGINS: example.url };
    api = await startTestServer({ databaseUrl: store.url, clock, env });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await example?.close();
    await api?.stop();
    await provider?.stop();
    await store?.drop();
  });

  /** Waits for the page to show `screen`, then photographs it and checks the picture is not blank. */
  async function expectScreen(page: Page, screen: string, name?: string): Promise<void> {
    await page.locator(`main[data-screen="${screen}"]`).waitFor();
    if (name === undefined) return;
    const png = await page.screenshot({ path: `${SCREENS}/${name}.png`, animations: "disabled" });
    expect(await nonBlankColours(browser, png), `${name} screenshot looks blank`).toBeGreaterThan(20);
  }

  /** Clicks a button and waits until the page has drawn `screen` anew (not merely still shows it). */
  async function click(page: Page, button: string | Locator, screen: string): Promise<void> {
    await page.locator("main").evaluate((main) => {
      (main as unknown as { dataset: Record<string, string> }).dataset.screen = "busy";
    });
    await (typeof button === "string" ? page.getByRole("button", { name: button, exact: true }) : button).click();
    await expectScreen(page, screen);
  }

  const textOf = async (locator: Locator) => ((await locator.textContent()) ?? "").trim();

  let counter = 0;
  /** Opens the app in `context` and signs up a new user through its form; screenshots each screen on the way when `shots`. */
  async function signUpIn(context: BrowserContext, shots = false) {
    counter += 1;
    const user = {
      username: `example${process.pid}_${counter}`,
      email: `example${process.pid}_${counter}@example.com`,
      password: "correct horse battery staple",
    };
    const page = await context.newPage();
    await page.goto(example.url);
    await expectScreen(page, "login", shots ? "login" : undefined);
    await page.getByRole("button", { name: "Create an account" }).click();
    await expectScreen(page, "signup");
    await page.getByLabel("Username").fill(user.username);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel(/^Password/).fill(user.password);
    if (shots) await expectScreen(page, "signup", "signup");
    await page.getByRole("button", { name: "Sign up" }).click();
    await expectScreen(page, "profile", shots ? "profile" : undefined);
    expect(await textOf(page.locator("h2"))).toBe(`Hello, ${user.username}`);
    return { page, user };
  }

  it("signs up into the profile and lists the session; the access token is never stored, the refresh cookie is HttpOnly", async () => {
    const context = await loopbackContext(browser);
    const traffic: ScreenTraffic = watchGraphQL(context);
    const { page } = await signUpIn(context, true);
    await click(page, "Sessions", "sessions");
    expect(await page.locator("tbody tr").count()).toBe(1);
    await expectScreen(page, "sessions", "sessions");

    expect(traffic.tokens.size).toBeGreaterThan(0);
    const stored = await page.evaluate(() => {
      const g = globalThis as any;
      return JSON.stringify([Object.entries(g.localStorage), Object.entries(g.sessionStorage), g.document.cookie]);
    });
    for (const token of traffic.tokens) expect(stored).not.toContain(token);
    const cookies = await context.cookies(`${api.url}/graphql`);
    expect(cookies).toEqual([expect.objectContaining({ name: "refresh_token", httpOnly: true })]);
    await context.close();
  });

  it("keeps working after the access token expires, with exactly one refresh", async () => {
    const context = await loopbackContext(browser);
    const traffic = watchGraphQL(context);
    const { page } = await signUpIn(context);
    clock.advance(PAST_EXPIRY);
    traffic.reset();
    await click(page, "Reload", "profile");
    await click(page, "Sessions", "sessions");
    expect(traffic.count("refreshToken")).toBe(1);
    // The one request that met the expired token, retried once; the next went out with the new token.
    expect(traffic.count("query Me")).toBe(2);
    expect(traffic.count("query Sessions")).toBe(1);
    await context.close();
  });

  it("two tabs after expiry make one refresh between them, and a logout in one tab logs out the other", async () => {
    const context = await loopbackContext(browser);
    const traffic = watchGraphQL(context);
    const { page: first } = await signUpIn(context);
    const second = await context.newPage();
    await second.goto(example.url);
    // A new tab has no token yet: the cookie gives it one (and tells the first tab of it).
    await expectScreen(second, "profile");

    clock.advance(PAST_EXPIRY);
    traffic.reset();
    // Hold every refresh until both tabs have had TOKEN_EXPIRED back (and a moment to act on it), so
    // both decide to refresh before either could learn a new token: a real race, not one tab after
    // the other. The wait only widens the race; with the lock the second tab never sends a refresh.
    let meAnswered = 0;
    let bothExpired = () => {};
    const gate = new Promise<void>((resolve) => {
      bothExpired = () => setTimeout(resolve, 200);
    });
    context.on("requestfinished", (request) => {
      if (request.postData()?.includes("query Me") && ++meAnswered === 2) bothExpired();
    });
    await context.route(`${api.url}/graphql`, async (route) => {
      if (route.request().postData()?.includes("refreshToken")) await gate;
      await route.continue();
    });
    await Promise.all([click(first, "Reload", "profile"), click(second, "Reload", "profile")]);
    expect(traffic.count("query Me")).toBe(4);
    expect(traffic.count("refreshToken")).toBe(1);
    await context.unrouteAll();

    await click(first, "Log out", "login");
    await expectScreen(second, "login", "login-after-logout-in-other-tab");
    expect(await textOf(second.getByRole("status"))).toBe("You are logged out.");
    expect(await context.cookies(`${api.url}/graphql`)).toEqual([]);
    await context.close();
  });

  it("'log out this device' ends another device's session; logoutAll from another device sends the page to its login screen", async () => {
    const context = await loopbackContext(browser);
    const { page, user } = await signUpIn(context);
    const phone = new GraphQLClient(api.url);
    await logInUser(phone, user.username, user.password);
    await click(page, "Sessions", "sessions");
    expect(await page.locator("tbody tr").count()).toBe(2);
    await click(page, page.locator("tbody tr", { hasNotText: "this browser" }).getByRole("button"), "sessions");
    expect(await page.locator("tbody tr").allTextContents()).toEqual([expect.stringContaining("this browser")]);

    const laptop = new GraphQLClient(api.url);
    await logInUser(laptop, user.username, user.password);
    expect((await laptop.request(LOGOUT_ALL)).body.data?.logoutAll).toBe(2);
    await click(page, "Reload", "login");
    expect(await textOf(page.getByRole("status"))).toBe("Your session was ended from another device.");
    await expectScreen(page, "login", "login-after-logout-all");
    await context.close();
  });

  it("signs in with the provider button: the provider's page, back to the app's profile, the session cookie set", async () => {
    const account = provider.addAccount({
      sub: "example-sub-1",
      email: "ada@example.org",
      email_verified: true,
      preferred_username: "ada",
    });
    const context = await loopbackContext(browser);
    const page = await context.newPage();
    await page.goto(example.url);
    await expectScreen(page, "login");
    await page.getByRole("button", { name: "Sign in with Test ID" }).click();
    await page.waitForURL(`${provider.issuer}/authorize?**`);
    await page.getByRole("button", { name: `Continue as ${account.email}` }).click();
    await expectScreen(page, "profile", "profile-after-oidc");
    expect(await textOf(page.locator("h2"))).toBe("Hello, ada");
    expect(await textOf(page.locator('[data-field="email"]'))).toBe(account.email);
    // The code and state leave the address bar once used; the one-time sign-in cookie is gone.
    expect(page.url()).toBe(`${example.url}/`);
    const cookies = await context.cookies(`${api.url}/graphql`);
    expect(cookies).toEqual([expect.objectContaining({ name: "refresh_token", httpOnly: true })]);
    await context.close();
  });
});
