import type { RequestHandler } from "express";
import { errorBody } from "./json-errors.js";

/**
 * GraphQL over HTTP uses GET (queries only), POST and the CORS preflight. Anything else is
 * refused here with a 405 and `Allow`, rather than reaching Apollo, which answers some methods
 * (DELETE without a body) with a misleading CSRF refusal.
 */
export function allowedMethods(methods: readonly string[]): RequestHandler {
  const allowed = new Set(methods.map((m) => m.toUpperCase()));
  const allow = [...allowed].filter((m) => m !== "OPTIONS").join(", ");
  return (req, res, next) => {
    if (allowed.has(req.method)) {
      next();
      return;
    }
    res
      .status(405)
      .set("Allow", allow)
      .json(errorBody(`Method ${req.method} not allowed; use ${allow}`, "METHOD_NOT_ALLOWED"));
  };
}
