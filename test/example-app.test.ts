import { mkdirSync } from "node:fs";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../client/example/build.js";
import { type ExampleServer, serveExample } from "../client/example/static-server.js";
import { CHROMIUM_PATH, HAS_CHROMIUM, launchChromium, loopbackContext } from "./support/chromium.js";
import { GraphQLClient, LOGOUT_ALL } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { enableMfa, STEP_MS, totpCode } from "./support/mfa-steps.js";
import { newProviderAccount, oidcEnv } from "./support/oidc-flow.js";
import { OidcTestProvider } from "./support/oidc-test-provider.js";
import { nonBlankColours, type ScreenTraffic, scriptReadableState, watchGraphQL } from "./support/page-checks.js";
import { execSql } from "./support/store-sql.js";
import { SQLITE, type TestStore } from "./support/stores.js";
import { logInUser, signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

/** Past the 10-minute access token and the verifier's 5 s clock tolerance, on the server's clock only. */
const PAST_EXPIRY = 10 * 60_000 + 10_000;
/** Past the mfaToken's 5 minutes (docs/mfa.md). */
const PAST_MFA_TOKEN = 5 * 60_000 + 1_000;
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

  /** A new tab of the app in `context`, on its login screen (photographed as `shot` if given). */
  async function openApp(context: BrowserContext, shot?: string): Promise<Page> {
    const page = await context.newPage();
    await page.goto(example.url);
    await expectScreen(page, "login", shot);
    return page;
  }

  let counter = 0;
  /** Opens the app in `context` and signs up a new user through its form; screenshots each screen on the way when `shots`. */
  async function signUpIn(context: BrowserContext, shots = false) {
    counter += 1;
    const user = {
      username: `example${process.pid}_${counter}`,
      email: `example${process.pid}_${counter}@example.com`,
      password: "correct horse battery staple",
    };
    const page = await openApp(context, shots ? "login" : undefined);
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

  /** Opens the app and signs in with the "Sign in with Test ID" button as the provider account with `email`. */
  async function signInAtProvider(context: BrowserContext, email: string, screen: string): Promise<Page> {
    const page = await openApp(context);
    await page.getByRole("button", { name: "Sign in with Test ID" }).click();
    await page.waitForURL(`${provider.issuer}/authorize?**`);
    await page.getByRole("button", { name: `Continue as ${email}` }).click();
    await expectScreen(page, screen);
    return page;
  }

  it("signs up into the profile and lists the session; the access token is never stored, the refresh cookie is HttpOnly", async () => {
    const context = await loopbackContext(browser);
    const traffic: ScreenTraffic = watchGraphQL(context);
    const { page } = await signUpIn(context, true);
    await click(page, "Sessions", "sessions");
    expect(await page.locator("tbody tr").count()).toBe(1);
    await expectScreen(page, "sessions", "sessions");

    expect(traffic.tokens.size).toBeGreaterThan(0);
    const stored = await scriptReadableState(page);
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
    const page = await signInAtProvider(context, account.email, "profile");
    await expectScreen(page, "profile", "profile-after-oidc");
    expect(await textOf(page.locator("h2"))).toBe("Hello, ada");
    expect(await textOf(page.locator('[data-field="email"]'))).toBe(account.email);
    // The code and state leave the address bar once used; the one-time sign-in cookie is gone.
    expect(page.url()).toBe(`${example.url}/`);
    const cookies = await context.cookies(`${api.url}/graphql`);
    expect(cookies).toEqual([expect.objectContaining({ name: "refresh_token", httpOnly: true })]);
    await context.close();
  });

  describe("the second factor", () => {
    /** A user made through the API, with TOTP turned on there. */
    async function mfaUser() {
      const client = api.client();
      const account = await signUpUser(client);
      const { secret } = await enableMfa(client, account.password, clock);
      return { ...account, secret };
    }

    /** A 6-digit code the server refuses: none of the three time steps it accepts around now. */
    function wrongCode(secret: string): string {
      const accepted = [-1, 0, 1].map((steps) => totpCode(secret, clock, steps));
      return ["123456", "234567", "345678"].find((code) => !accepted.includes(code)) as string;
    }

    /** Fills the login form and submits it; `screen` is what the app answers with (`mfa` with two-factor login on). */
    async function logIn(page: Page, user: { username: string; password: string }, screen: string): Promise<void> {
      await page.getByLabel("Username or email").fill(user.username);
      await page.getByLabel("Password", { exact: true }).fill(user.password);
      await click(page, "Log in", screen);
    }

    /** Types a TOTP or recovery code into the second-factor screen and submits it. */
    async function enterCode(page: Page, code: string, screen: string): Promise<void> {
      await page.getByLabel("Code", { exact: true }).fill(code);
      await click(page, "Verify", screen);
    }

    const refreshCookie = [expect.objectContaining({ name: "refresh_token", httpOnly: true })];

    it("a password login asks for the code: a wrong one keeps the screen with an error, the right one opens the profile; no token is stored", async () => {
      const user = await mfaUser();
      const context = await loopbackContext(browser);
      const traffic = watchGraphQL(context);
      const page = await openApp(context);
      await logIn(page, user, "mfa");
      await expectScreen(page, "mfa", "mfa");
      expect(traffic.mfaTokens.size).toBe(1);
      // The password alone began no session.
      expect(await context.cookies(`${api.url}/graphql`)).toEqual([]);

      await enterCode(page, wrongCode(user.secret), "mfa");
      expect(await textOf(page.getByRole("status"))).toBe(
        "That code is not right, or it was used already. Try the next code from your app.",
      );
      await expectScreen(page, "mfa", "mfa-wrong-code");

      await enterCode(page, totpCode(user.secret, clock), "profile");
      expect(await textOf(page.locator("h2"))).toBe(`Hello, ${user.username}`);
      expect(await textOf(page.locator('[data-field="mfa"]'))).toBe("on");
      expect(traffic.count("verifyMfa")).toBe(2);
      expect(traffic.tokens.size).toBe(1);
      const stored = await scriptReadableState(page);
      for (const token of [...traffic.tokens, ...traffic.mfaTokens]) expect(stored).not.toContain(token);
      expect(await context.cookies(`${api.url}/graphql`)).toEqual(refreshCookie);
      await context.close();
    });

    it("an mfaToken past its 5 minutes sends the page back to the login screen with a message", async () => {
      const user = await mfaUser();
      const context = await loopbackContext(browser);
      const page = await openApp(context);
      await logIn(page, user, "mfa");
      clock.advance(PAST_MFA_TOKEN);
      await enterCode(page, totpCode(user.secret, clock), "login");
      expect(await textOf(page.getByRole("status"))).toBe("Your sign-in took too long or was already completed. Please log in again.");
      await expectScreen(page, "login", "login-after-expired-mfa");
      expect(await context.cookies(`${api.url}/graphql`)).toEqual([]);
      await context.close();
    });

    it("a provider sign-in to an account with two-factor on asks for the code too, then opens the profile", async () => {
      const user = await mfaUser();
      const account = newProviderAccount(provider, "examplemfa", { email: user.email });
      // Linking by address needs a verified email; link the identity directly, as test/oidc-login.test.ts does.
      await execSql(store, "insert into identities (provider, subject, user_id, email, created_at) values (?, ?, ?, ?, ?)", [
        "test",
        account.sub,
        user.user.id,
        user.email,
        clock.now(),
      ]);
      const context = await loopbackContext(browser);
      const page = await signInAtProvider(context, account.email, "mfa");
      expect(await context.cookies(`${api.url}/graphql`)).toEqual([]);
      await enterCode(page, totpCode(user.secret, clock), "profile");
      expect(await textOf(page.locator("h2"))).toBe(`Hello, ${user.username}`);
      expect(await context.cookies(`${api.url}/graphql`)).toEqual(refreshCookie);
      await context.close();
    });

    it("turns two-factor login on from the profile (QR code, a code from the app, recovery codes shown once); a recovery code then logs in", async () => {
      const context = await loopbackContext(browser);
      const { page, user } = await signUpIn(context);
      expect(await textOf(page.locator('[data-field="mfa"]'))).toBe("off");
      await click(page, "Turn on two-factor login", "totp-password");
      await page.getByLabel("Password").fill("not the password at all");
      await click(page, "Continue", "totp-password");
      expect(await textOf(page.getByRole("status"))).toBe("Invalid username or password");
      await page.getByLabel("Password").fill(user.password);
      await click(page, "Continue", "totp-enroll");

      const secret = await textOf(page.locator('[data-field="totp-secret"]'));
      expect(await textOf(page.locator('[data-field="otpauth-uri"]'))).toContain(`secret=${secret}`);
      // The server's SVG drew as an image.
      expect(await page.locator("img.qr").evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBeGreaterThan(0);
      await expectScreen(page, "totp-enroll", "totp-enroll");
      await page.getByLabel("Code from the app").fill(totpCode(secret, clock));
      await click(page, "Turn on", "recovery-codes");
      const codes = await page.locator("[data-recovery-code]").allTextContents();
      expect(codes).toHaveLength(10);
      await expectScreen(page, "recovery-codes", "recovery-codes");
      await click(page, "Continue to profile", "profile");
      expect(await textOf(page.locator('[data-field="mfa"]'))).toBe("on");

      await click(page, "Log out", "login");
      await logIn(page, user, "mfa");
      await enterCode(page, codes[0] as string, "profile");
      expect(await textOf(page.locator("h2"))).toBe(`Hello, ${user.username}`);
      // A recovery code works once.
      await click(page, "Log out", "login");
      await logIn(page, user, "mfa");
      await enterCode(page, codes[0] as string, "mfa");
      expect(await textOf(page.getByRole("status"))).toBe(
        "That code is not right, or it was used already. Try the next code from your app.",
      );
      clock.advance(STEP_MS);
      await enterCode(page, totpCode(secret, clock), "profile");
      await context.close();
    });
  });
});
