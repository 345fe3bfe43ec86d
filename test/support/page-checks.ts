import type { Browser, BrowserContext, Page } from "playwright-core";

/** The GraphQL traffic of a browser context (all its tabs): the requests sent and the access tokens seen. */
export interface ScreenTraffic {
  /** Every access token a response carried. */
  readonly tokens: Set<string>;
  /** Every `extensions.mfaToken` a response carried (a login's pass to its second step). */
  readonly mfaTokens: Set<string>;
  /** How many GraphQL POSTs since the last reset contained `text` (e.g. `refreshToken`, `query Me`). */
  count(text: string): number;
  reset(): void;
}

export function watchGraphQL(context: BrowserContext): ScreenTraffic {
  let bodies: string[] = [];
  const tokens = new Set<string>();
  const mfaTokens = new Set<string>();
  context.on("request", (request) => {
    const body = request.postData();
    if (request.method() === "POST" && body !== null) bodies.push(body);
  });
  context.on("response", async (response) => {
    if (response.request().method() !== "POST") return;
    const text = await response.text().catch(() => "");
    for (const match of text.matchAll(/"accessToken":"([^"]+)"/g)) if (match[1]) tokens.add(match[1]);
    for (const match of text.matchAll(/"mfaToken":"([^"]+)"/g)) if (match[1]) mfaTokens.add(match[1]);
  });
  return {
    tokens,
    mfaTokens,
    count: (text) => bodies.filter((body) => body.includes(text)).length,
    reset: () => {
      bodies = [];
    },
  };
}

/** Everything a script on the page could read back later: Web Storage and the non-HttpOnly cookies, as one string. */
export function scriptReadableState(page: Page): Promise<string> {
  return page.evaluate(() => {
    const g = globalThis as any;
    return JSON.stringify([Object.entries(g.localStorage), Object.entries(g.sessionStorage), g.document.cookie]);
  });
}

/**
 * How many distinct colours a PNG has (sampled), decoded by the browser itself: a blank or
 * single-colour screenshot gives one or two, a drawn screen with text dozens.
 */
export async function nonBlankColours(browser: Browser, png: Buffer): Promise<number> {
  const page = await browser.newPage();
  try {
    return await page.evaluate(async (base64) => {
      const g = globalThis as any;
      const image = new g.Image();
      image.src = `data:image/png;base64,${base64}`;
      await image.decode();
      const canvas = g.document.createElement("canvas");
      canvas.width = image.width;
      canvas.height = image.height;
      const context = canvas.getContext("2d");
      context.drawImage(image, 0, 0);
      const pixels: Uint8ClampedArray = context.getImageData(0, 0, canvas.width, canvas.height).data;
      const colours = new Set<number>();
      for (let i = 0; i < pixels.length; i += 4 * 7)
        colours.add(((pixels[i] ?? 0) << 16) | ((pixels[i + 1] ?? 0) << 8) | (pixels[i + 2] ?? 0));
      return colours.size;
    }, png.toString("base64"));
  } finally {
    await page.close();
  }
}
