import type { ApolloServerPlugin, GraphQLRequestListener } from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLContext } from "../context.js";
import { noteForRequestLog } from "../http/request-logging.js";
import { isUnexpected } from "./error-formatter.js";

/** Operation names are client-chosen; a log line keeps a readable prefix of one. */
const MAX_NAME = 100;

/**
 * Hands the request's log line what only GraphQL knows: the operation's name (as resolved from
 * the document, so never a name the document does not hold) and the codes of the errors sent,
 * after masking; and logs the detail of each unexpected error with the request's id. Never
 * variables or the query text, which may hold passwords (OWASP ASVS 16.2.5).
 */
export function requestLogPlugin(
  /** Logs an error the client sees only as INTERNAL_SERVER_ERROR, with the request it failed. */
  reportUnexpected: (error: unknown, requestId: string | undefined) => void,
): ApolloServerPlugin<GraphQLContext> {
  // One listener object for all requests: it keeps no per-request state.
  const listener: GraphQLRequestListener<GraphQLContext> = {
    async didEncounterErrors({ errors, contextValue }) {
      for (const error of errors) if (isUnexpected(error)) reportUnexpected(unwrapResolverError(error), contextValue.client.requestId);
    },
    async willSendResponse({ operationName, response, contextValue }) {
      const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
      noteForRequestLog(contextValue.res, {
        operation: operationName ? operationName.slice(0, MAX_NAME) : undefined,
        errorCodes: [...new Set(errors.map((error) => String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR")))],
      });
    },
  };
  return { requestDidStart: async () => listener };
}
