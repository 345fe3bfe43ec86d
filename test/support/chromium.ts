import { existsSync } from "node:fs";
import { type Browser, type BrowserContext, chromium } from "playwright-core";

/** Debian's chromium package; playwright-core downloads no browser of its own. */
export const CHROMIUM_PATH = "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);

/**
 * Headless Chromium with nothing that phones home. Playwright gives each launch a fresh temporary
 * profile (it refuses an explicit --user-data-dir outside launchPersistentContext), so no cookie
 * from another run can leak in.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * A fresh cookie jar whose pages can reach loopback only: anything else (such as the Sandbox
 * script on Apollo's CDN) is aborted at once instead of waiting on a network this machine lacks.
 */
export async function loopbackContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.route("**/*", (route) => {
    const { hostname } = new URL(route.request().url());
    return /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(hostname) ? route.continue() : route.abort("blockedbyclient");
  });
  return context;
}
