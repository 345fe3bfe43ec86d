import { isIP } from "node:net";
import type { RequestHandler } from "express";
import type { Logger } from "../logger.js";

/**
 * The "site" of an origin as browsers decide SameSite: the scheme and the registrable domain
 * (RFC 6265bis §5.2, schemeful same-site). An IP address or a single-label host such as
 * `localhost` is its own site. Without the Public Suffix List the registrable domain is taken as
 * the last two labels: under a multi-label suffix (`co.uk`, `github.io`) two sites may look like
 * one, so a warning built on this can be missed but never raised wrongly.
 */
export function siteOf(origin: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return undefined;
  }
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const labels = host.split(".");
  const registrable = isIP(host) !== 0 || labels.length <= 2 ? host : labels.slice(-2).join(".");
  return `${url.protocol}//${registrable.toLowerCase()}`;
}

/** Whether a browser would treat a request from `origin` to `target` as cross-site. */
export function isCrossSite(origin: string, target: string): boolean {
  const a = siteOf(origin);
  const b = siteOf(target);
  return a === undefined || b === undefined || a !== b;
}

/**
 * Development aid: the first request from each page origin that is cross-site to the API (a page
 * on 127.0.0.1 calling an API on localhost, say) logs a warning, since the browser will not send a
 * `SameSite=Lax`/`Strict` refresh cookie with it and `refreshToken` would fail without saying why.
 */
export function crossSiteCookieWarning(sameSite: "Lax" | "Strict", logger: Logger): RequestHandler {
  const warned = new Set<string>();
  return (req, _res, next) => {
    const origin = req.get("origin");
    if (origin !== undefined && !warned.has(origin) && warned.size < 100) {
      const api = `${req.protocol}://${req.get("host") ?? req.hostname}`;
      if (isCrossSite(origin, api)) {
        warned.add(origin);
        logger.warn(
          { origin, api },
          `requests from ${origin} are cross-site to this API (${api}), so browsers will not send the SameSite=${sameSite} refresh ` +
            "cookie with them; open the page on the API's site, or use COOKIE_SAMESITE=None over HTTPS (docs/deployment.md)",
        );
      }
    }
    next();
  };
}
