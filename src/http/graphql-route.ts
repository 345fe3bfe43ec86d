import type { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import cookieParser from "cookie-parser";
import cors from "cors";
import express, { type RequestHandler } from "express";
import type { GraphQLContext } from "../context.js";
import { allowedMethods } from "./allowed-methods.js";
import { contentTypeCheck } from "./content-type-check.js";
import type { OriginPolicy } from "./origin-policy.js";
import { refusePersistedQueries } from "./persisted-queries.js";

const BODY_LIMIT = "100kb";
/** GraphQL over HTTP: GET for queries, POST, and the CORS preflight. */
const GRAPHQL_METHODS = ["GET", "POST", "OPTIONS"] as const;

/** Non-JSON bodies (text/plain, forms, multipart) reach Apollo empty, where its CSRF prevention
 * refuses them with a 400 instead of the integration failing with a 500. */
const emptyBodyDefault: RequestHandler = (req, _res, next) => {
  req.body ??= {};
  next();
};

/**
 * The middleware chain in front of Apollo on the GraphQL path: method and content-type checks,
 * CORS from the origin policy (credentials allowed, so the refresh cookie flows), cookies, the
 * JSON body, the persisted-query refusal, then Apollo with the per-request context.
 */
export function graphqlRoute(
  apollo: ApolloServer<GraphQLContext>,
  origins: OriginPolicy,
  context: (args: { req: express.Request; res: express.Response }) => Promise<GraphQLContext>,
): RequestHandler[] {
  return [
    allowedMethods(GRAPHQL_METHODS),
    contentTypeCheck,
    cors<cors.CorsRequest>({
      origin: (origin, callback) => callback(null, origin === undefined ? false : origins.isAllowed(origin)),
      credentials: true,
      methods: [...GRAPHQL_METHODS],
      allowedHeaders: ["content-type", "authorization", "apollo-require-preflight", "x-apollo-operation-name", "apollographql-client-name"],
      maxAge: 600,
    }),
    cookieParser(),
    express.json({ limit: BODY_LIMIT, strict: false }),
    emptyBodyDefault,
    refusePersistedQueries,
    expressMiddleware(apollo, { context }),
  ];
}
