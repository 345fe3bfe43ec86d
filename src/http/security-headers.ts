import type { RequestHandler } from "express";

/** Headers every answer carries: no MIME sniffing, no Referer leaking the API's URLs. */
export const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  next();
};
