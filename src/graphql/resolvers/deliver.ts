import type { AuthResult } from "../../auth/auth-service.js";
import type { GraphQLContext } from "../../context.js";

/**
 * Sets the refresh cookie of a login, refresh or password change. RFC 6749 §5.1: never cached;
 * every answer already says `Cache-Control: no-store` (security-headers.ts), and `Pragma` is for
 * HTTP/1.0 caches.
 */
export function deliver(context: GraphQLContext, result: AuthResult): AuthResult {
  const { res, services } = context;
  res.setHeader("Pragma", "no-cache");
  services.refreshCookie.set(res, result.refreshToken, result.sessionExpiresAt, services.clock.now());
  return result;
}
