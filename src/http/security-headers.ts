import type { RequestHandler } from "express";

/**
 * Headers every answer carries: no MIME sniffing, no Referer leaking the API's URLs, and no
 * caching, since answers carry tokens or a caller's own data (RFC 6749 §5.1, OWASP ASVS 14.3.2).
 * A route whose answer is public (the JWKS) sets its own Cache-Control after this.
 */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.setHeader("X-Content-Type-Options", "nosniff");
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("Cache-Control", "no-store");
  next();
};
