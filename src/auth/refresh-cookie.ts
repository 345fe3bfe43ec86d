import type { CookieOptions, Request, Response } from "express";
import type { Config } from "../config.js";
import { requestCookie } from "../http/request-cookies.js";

/**
 * The refresh cookie's attributes, defined once. HttpOnly keeps it from page scripts; SameSite and
 * Secure as configured; Path is the GraphQL path, or `/` for a `__Host-` name (RFC 6265bis §4.1.3.2).
 * (OWASP ASVS 3.3.1 to 3.3.4.)
 */
export class RefreshCookie {
  private readonly attributes: CookieOptions;

  constructor(private readonly settings: Config["cookie"]) {
    this.attributes = {
      httpOnly: true,
      secure: settings.secure,
      sameSite: settings.sameSite.toLowerCase() as "strict" | "lax" | "none",
      path: settings.path,
      ...(settings.domain ? { domain: settings.domain } : {}),
    };
  }

  get name(): string {
    return this.settings.name;
  }

  read(req: Request): string | undefined {
    return requestCookie(req, this.settings.name);
  }

  /** Max-Age is the session's remaining lifetime. */
  set(res: Response, token: string, expiresAtMs: number, nowMs: number): void {
    res.cookie(this.settings.name, token, { ...this.attributes, maxAge: Math.max(0, expiresAtMs - nowMs) });
  }

  /** Same name, path and domain, expired in the past, so the browser drops it. */
  clear(res: Response): void {
    res.clearCookie(this.settings.name, this.attributes);
  }
}
