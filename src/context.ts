import type { Request, Response } from "express";
import type { AccountDeletionService } from "./account/account-deletion-service.js";
import type { EmailVerificationService } from "./account/email-verification-service.js";
import type { PasswordResetService } from "./account/password-reset-service.js";
import type { AccessTokens, Viewer } from "./auth/access-tokens.js";
import type { AuthService } from "./auth/auth-service.js";
import type { ClientInfo } from "./auth/client-info.js";
import type { RefreshCookie } from "./auth/refresh-cookie.js";
import type { SessionRevocations } from "./auth/session-revocations.js";
import type { SessionService } from "./auth/session-service.js";
import type { Clock } from "./clock.js";
import type { AuthFailureReason } from "./errors.js";
import { clientIp } from "./http/client-ip.js";
import type { OriginPolicy } from "./http/origin-policy.js";
import { requestIdOf } from "./http/request-id.js";
import type { MfaService } from "./mfa/mfa-service.js";
import type { OidcService } from "./oidc/oidc-service.js";
import type { OidcStateCookie } from "./oidc/oidc-state-cookie.js";
import { fitTo } from "./store/field-limits.js";
import type { UserService } from "./users/user-service.js";

export interface Services {
  readonly auth: AuthService;
  readonly users: UserService;
  readonly sessions: SessionService;
  readonly oidc: OidcService;
  readonly mfa: MfaService;
  readonly passwordReset: PasswordResetService;
  readonly emailVerification: EmailVerificationService;
  readonly accountDeletion: AccountDeletionService;
  readonly refreshCookie: RefreshCookie;
  readonly oidcStateCookie: OidcStateCookie;
  readonly origins: OriginPolicy;
  readonly clock: Clock;
}

export interface GraphQLContext {
  readonly req: Request;
  readonly res: Response;
  /** Who the bearer token speaks for, or null. */
  readonly viewer: Viewer | null;
  /** Why `viewer` is null; what `@auth` reports. */
  readonly authFailure: AuthFailureReason | null;
  readonly client: ClientInfo;
  readonly services: Services;
}

/** RFC 6750 §2.1 token syntax; the scheme name is case-insensitive (RFC 9110 §11.1). */
const BEARER = /^Bearer +([A-Za-z0-9_=-]+\.[A-Za-z0-9_=-]*\.[A-Za-z0-9_+/=-]*)$/i;

/**
 * Decodes `Authorization: Bearer` into a viewer, or records why it could not. It never throws: a
 * stale or broken header must not break `login`, `signUp`, `refreshToken` or `logout`.
 */
export function createContextBuilder(deps: { accessTokens: AccessTokens; revocations: SessionRevocations; services: Services }) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<GraphQLContext> => {
    const client = requestClient(req, res);
    const base = { req, res, client, services: deps.services };
    const header = req.get("authorization");
    if (header === undefined || header.trim() === "") return { ...base, viewer: null, authFailure: "TOKEN_MISSING" };
    const match = BEARER.exec(header.trim());
    if (!match) return { ...base, viewer: null, authFailure: "TOKEN_INVALID" };
    const result = deps.accessTokens.verify(match[1] as string);
    if (!result.ok) return { ...base, viewer: null, authFailure: result.reason };
    if (deps.revocations.isRevoked(result.viewer.sessionId)) return { ...base, viewer: null, authFailure: "SESSION_REVOKED" };
    return { ...base, viewer: result.viewer, authFailure: null };
  };
}

/**
 * The request's ClientInfo, its address and user agent read when first asked: most operations
 * (`me`, any query) never ask. Own enumerable getters, so `{ ...client }` copies the values.
 */
function requestClient(req: Request, res: Response): ClientInfo {
  let ip: string | null | undefined;
  let userAgent: string | null | undefined;
  return {
    get ip() {
      if (ip === undefined) ip = clientIp(req);
      return ip;
    },
    // A refresh reads it twice (the session and the audit row): read and cut once.
    get userAgent() {
      if (userAgent === undefined) userAgent = fitTo("userAgent", req.get("user-agent"));
      return userAgent;
    },
    requestId: requestIdOf(res),
  };
}
