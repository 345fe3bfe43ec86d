import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_PATH, HAS_CHROMIUM, launchChromium, loopbackContext } from "./support/chromium.js";
import { COMPLETE_OIDC, OIDC_PROVIDERS, oidcEnv, START_OIDC } from "./support/oidc-flow.js";
import { OidcTestProvider } from "./support/oidc-test-provider.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { SQLITE } from "./support/stores.js";

/**
 * The frontend a team would write, as two pages on their own origin: "/" with one button per
 * provider (startOidcLogin, then off to the provider), and "/callback", which hands the provider's
 * answer to completeOidcLogin and shows the profile from `me`.
 */
function frontendPages(api: () => string): Server {
  const script = (body: string) => `<!doctype html><meta charset="utf-8"><body><main id="out">…</main><script type="module">
const api = ${JSON.stringify(`${api()}/graphql`)};
const gql = (query, variables, token) => fetch(api, { method: "POST", credentials: "include",
  headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
  body: JSON.stringify({ query, variables }) }).then((r) => r.json());
const callback = location.origin + "/callback";
${body}
</script>`;
  return createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    res.writeHead(path === "/" || path === "/callback" ? 200 : 404, { "content-type": "text/html; charset=utf-8" });
    if (path === "/") {
      res.end(
        script(`const { data } = await gql(${JSON.stringify(OIDC_PROVIDERS)});
const out = document.getElementById("out"); out.textContent = "";
for (const p of data.oidcProviders) {
  const button = document.createElement("button");
  button.textContent = "Sign in with " + p.name;
  button.onclick = async () => {
    sessionStorage.setItem("provider", p.id);
    const started = await gql(${JSON.stringify(START_OIDC)}, { provider: p.id, redirectUri: callback });
    location.assign(started.data.startOidcLogin.url);
  };
  out.append(button);
}`),
      );
    } else if (path === "/callback") {
      res.end(
        script(`const q = new URLSearchParams(location.search);
const input = { provider: sessionStorage.getItem("provider"), code: q.get("code"), state: q.get("state"), iss: q.get("iss"), redirectUri: callback };
const done = await gql(${JSON.stringify(COMPLETE_OIDC)}, { input });
const out = document.getElementById("out");
if (!done.data) { out.textContent = "Failed: " + done.errors[0].extensions.reason; }
else {
  const me = await gql("query { me { username email } }", undefined, done.data.completeOidcLogin.accessToken);
  out.textContent = "Signed in as " + me.data.me.username + " <" + me.data.me.email + ">";
}`),
      );
    } else res.end("not found");
  });
}

if (!HAS_CHROMIUM) console.warn(`OpenID Connect browser suite skipped: ${CHROMIUM_PATH} is not installed`);

describe.skipIf(!HAS_CHROMIUM)("Sign in with an OpenID Connect provider in Chromium", () => {
  let browser: Browser;
  let provider: OidcTestProvider;
  let frontend: Server;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    [browser, provider] = await Promise.all([launchChromium(), OidcTestProvider.start()]);
    frontend = frontendPages(() => fixture.server.url);
    await new Promise<void>((resolve) => frontend.listen(0, "127.0.0.1", resolve));
    const frontendUrl = `http://127.0.0.1:${(frontend.address() as AddressInfo).port}`;
    Object.assign(env, oidcEnv(provider), { OIDC_REDIRECT_URIS: `${frontendUrl}/callback` });
  });
  afterAll(async () => {
    await browser?.close();
    await provider?.stop();
    await new Promise<void>((resolve) => (frontend ? frontend.close(() => resolve()) : resolve()));
  });
  const fixture = serverPerSuite(SQLITE, { env });

  it("goes from the button through the provider's sign-in page to the callback and the profile", async () => {
    const account = provider.addAccount({
      sub: "browser-sub-1",
      email: "ada@example.org",
      email_verified: true,
      preferred_username: "ada",
    });
    const context = await loopbackContext(browser);
    const page = await context.newPage();
    const frontendUrl = (env.OIDC_REDIRECT_URIS ?? "").replace("/callback", "");
    await page.goto(frontendUrl);
    await page.getByRole("button", { name: "Sign in with Test ID" }).click();
    await page.waitForURL(`${provider.issuer}/authorize?**`);
    await page.getByRole("button", { name: `Continue as ${account.email}` }).click();
    await page.waitForURL(`${frontendUrl}/callback?**`);
    await expect.poll(() => page.locator("#out").textContent()).toBe(`Signed in as ada <${account.email}>`);

    const cookies = await context.cookies(`${fixture.server.url}/graphql`);
    expect(cookies.find((c) => c.name === fixture.cookieName)).toMatchObject({ httpOnly: true });
    // The one-time sign-in cookie is gone once used.
    expect(cookies.find((c) => c.name === "oidc_state")).toBeUndefined();
    await context.close();
  });
});
