import type { AuthResult } from "../../auth/auth-service.js";
import type { GraphQLContext } from "../../context.js";

/** Sets the refresh cookie of a login, refresh or password change. RFC 6749 §5.1: never cached. */
export function deliver(context: GraphQLContext, result: AuthResult): AuthResult {
  const { res, services } = context;
  res.set("Cache-Control", "no-store");
  res.set("Pragma", "no-cache");
  services.refreshCookie.set(res, result.refreshToken, result.sessionExpiresAt, services.clock.now());
  return result;
}
