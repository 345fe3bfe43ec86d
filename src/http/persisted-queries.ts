import type { RequestHandler } from "express";
import { errorBody } from "./json-errors.js";

/**
 * Automatic persisted queries are off (the API is small, and a query cache that clients fill is
 * one more thing to bound). Apollo answers a request carrying `extensions.persistedQuery` with a
 * 200, and a malformed one fails inside its pipeline as an INTERNAL_SERVER_ERROR logged at error
 * level; both are refused here instead, before GraphQL runs, as the client error they are.
 */
export const refusePersistedQueries: RequestHandler = (req, res, next) => {
  if (!asksForPersistedQuery(req.method === "GET" ? req.query.extensions : (req.body as { extensions?: unknown })?.extensions)) {
    next();
    return;
  }
  res.status(400).json(errorBody("Persisted queries are not supported; send the query text", "PERSISTED_QUERY_NOT_SUPPORTED"));
};

function asksForPersistedQuery(extensions: unknown): boolean {
  let value = extensions;
  if (typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      return false; // Apollo refuses unparsable extensions itself, with a 400
    }
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) && "persistedQuery" in value;
}
