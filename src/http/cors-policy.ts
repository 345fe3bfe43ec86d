import cors from "cors";
import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { errorBody } from "./json-errors.js";
import type { OriginPolicy } from "./origin-policy.js";

const ALLOWED_HEADERS = [
  "content-type",
  "authorization",
  "apollo-require-preflight",
  "x-apollo-operation-name",
  "apollographql-client-name",
];

/**
 * CORS for the GraphQL path: credentials only for the origins `OriginPolicy` allows (OWASP ASVS
 * 3.4.2). A preflight from any other origin is answered here with a JSON 403 that says which
 * setting to change, rather than falling through to Apollo, whose CSRF refusal names neither the
 * origin nor the fix. Outside production the origin is logged, since that is where a developer
 * looks when their page cannot reach the API.
 */
export function corsPolicy(
  origins: OriginPolicy,
  methods: readonly string[],
  options: { logger: Logger; logRefusals: boolean },
): RequestHandler[] {
  const refuseForeignPreflight: RequestHandler = (req, res, next) => {
    const origin = req.get("origin");
    const isPreflight = req.method === "OPTIONS" && origin !== undefined && req.get("access-control-request-method") !== undefined;
    if (!isPreflight || origins.isAllowed(origin)) {
      next();
      return;
    }
    if (options.logRefusals) options.logger.warn({ origin }, "refused a CORS preflight from an origin not in CORS_ORIGINS");
    res.status(403).json(errorBody("Origin not allowed; add it to CORS_ORIGINS", "FORBIDDEN"));
  };
  return [
    refuseForeignPreflight,
    cors<cors.CorsRequest>({
      origin: (origin, callback) => callback(null, origin === undefined ? false : origins.isAllowed(origin)),
      credentials: true,
      methods: [...methods],
      allowedHeaders: ALLOWED_HEADERS,
      maxAge: 600,
    }),
  ];
}
