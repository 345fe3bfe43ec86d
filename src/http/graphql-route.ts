import type { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type RequestHandler } from "express";
import type { GraphQLContext } from "../context.js";
import type { Logger } from "../logger.js";
import { allowedMethods } from "./allowed-methods.js";
import { contentTypeCheck } from "./content-type-check.js";
import { corsPolicy } from "./cors-policy.js";
import { inOrder } from "./in-order.js";
import type { OriginPolicy } from "./origin-policy.js";
import { refusePersistedQueries } from "./persisted-queries.js";
import { crossSiteCookieWarning } from "./same-site.js";

const BODY_LIMIT = "100kb";
/** GraphQL over HTTP: GET for queries, POST, and the CORS preflight. */
const GRAPHQL_METHODS = ["GET", "POST", "OPTIONS"] as const;

/** A GET has no body, and the integration fails with a 500 on an undefined one. */
const emptyBodyDefault: RequestHandler = (req, _res, next) => {
  req.body ??= {};
  next();
};

/**
 * The middleware chain in front of Apollo on the GraphQL path: the method check, CORS from the
 * origin policy (credentials allowed, so the refresh cookie flows), the content-type check, the
 * JSON body, the persisted-query refusal, then Apollo with the per-request context; one Express
 * layer (see in-order.ts). Cookies are parsed only by the operations that read one
 * (request-cookies.ts).
 */
export function graphqlRoute(
  apollo: ApolloServer<GraphQLContext>,
  origins: OriginPolicy,
  context: (args: { req: express.Request; res: express.Response }) => Promise<GraphQLContext>,
  diagnostics: {
    logger: Logger;
    /** Log the origin of refused preflights (outside production). */
    logRefusals: boolean;
    /** Development: warn about pages cross-site to the API, which will not get this cookie. */
    crossSiteCookie: "Lax" | "Strict" | undefined;
  },
): RequestHandler {
  return inOrder(
    allowedMethods(GRAPHQL_METHODS),
    // CORS first, so a browser page can read the refusals that follow.
    ...corsPolicy(origins, GRAPHQL_METHODS, diagnostics),
    ...(diagnostics.crossSiteCookie ? [crossSiteCookieWarning(diagnostics.crossSiteCookie, diagnostics.logger)] : []),
    contentTypeCheck,
    express.json({ limit: BODY_LIMIT, strict: false }),
    emptyBodyDefault,
    refusePersistedQueries,
    expressMiddleware(apollo, { context }),
  );
}
