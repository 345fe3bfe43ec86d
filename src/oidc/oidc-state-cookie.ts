import type { CookieOptions, Request, Response } from "express";
import type { Config } from "../config.js";
import { requestCookie } from "../http/request-cookies.js";

/** RFC 9700 §4.7.1 / OWASP ASVS 10.1: a started sign-in must be completed within minutes. */
export const OIDC_LOGIN_TTL_MS = 10 * 60 * 1000;

/**
 * The cookie that ties a completeOidcLogin to the browser that called startOidcLogin, so a code
 * and state obtained by someone else cannot log this browser in (login CSRF, RFC 9700 §4.7).
 * It holds only a random id; the state, nonce and PKCE verifier stay on the server. HttpOnly and
 * SameSite=Lax always; Secure, path and the __Host- prefix follow the refresh cookie's settings.
 */
export class OidcStateCookie {
  readonly name: string;
  private readonly attributes: CookieOptions;

  constructor(settings: Config["cookie"]) {
    const hostBound = settings.name.startsWith("__Host-");
    this.name = hostBound ? "__Host-oidc_state" : "oidc_state";
    this.attributes = {
      httpOnly: true,
      secure: settings.secure,
      sameSite: "lax",
      path: settings.path,
      ...(settings.domain && !hostBound ? { domain: settings.domain } : {}),
    };
  }

  read(req: Request): string | undefined {
    return requestCookie(req, this.name);
  }

  set(res: Response, value: string): void {
    res.cookie(this.name, value, { ...this.attributes, maxAge: OIDC_LOGIN_TTL_MS });
  }

  clear(res: Response): void {
    res.clearCookie(this.name, this.attributes);
  }
}
