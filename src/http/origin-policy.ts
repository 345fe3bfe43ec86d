import type { Request } from "express";
import type { Config } from "../config.js";
import { AuthError } from "../errors.js";

const LOCAL_ORIGIN = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;
const APOLLO_STUDIO = "https://studio.apollographql.com";

/**
 * Which browser origins may call with credentials. The same list drives CORS and the check on the
 * cookie-reading mutations. Development also allows local origins and Apollo Studio's Sandbox.
 */
export class OriginPolicy {
  private readonly allowed: ReadonlySet<string>;

  constructor(private readonly config: Pick<Config, "corsOrigins" | "isProduction">) {
    this.allowed = new Set(config.isProduction ? config.corsOrigins : [...config.corsOrigins, APOLLO_STUDIO]);
  }

  isAllowed(origin: string): boolean {
    return this.allowed.has(origin) || (!this.config.isProduction && LOCAL_ORIGIN.test(origin));
  }

  /**
   * Defence in depth against CSRF on `refreshToken` and `logout`, which act on a cookie the browser
   * attaches by itself (OWASP ASVS 3.5.1 to 3.5.3): a browser request from an origin we do not
   * serve is refused. Requests without `Origin` (curl, servers) carry no ambient cookie risk from a
   * browser unless the browser says it is cross-site, which `Sec-Fetch-Site` tells.
   */
  assertCookieRequestAllowed(req: Request): void {
    const origin = req.get("origin");
    if (origin !== undefined) {
      if (!this.isAllowed(origin)) throw AuthError.forbidden("Origin not allowed");
      return;
    }
    if (req.get("sec-fetch-site") === "cross-site") throw AuthError.forbidden("Cross-site request refused");
  }
}
