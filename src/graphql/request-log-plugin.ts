import type { ApolloServerPlugin } from "@apollo/server";
import type { GraphQLContext } from "../context.js";
import { noteForRequestLog } from "../http/request-logging.js";

/** Operation names are client-chosen; a log line keeps a readable prefix of one. */
const MAX_NAME = 100;

/**
 * Hands the request's log line what only GraphQL knows: the operation's name (as resolved from
 * the document, so never a name the document does not hold) and the codes of the errors sent,
 * after masking. Never variables or the query text, which may hold passwords (OWASP ASVS 16.2.5).
 */
export function requestLogPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ operationName, response, contextValue }) {
          const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
          noteForRequestLog(contextValue.res, {
            operation: operationName ? operationName.slice(0, MAX_NAME) : undefined,
            errorCodes: [...new Set(errors.map((error) => String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR")))],
          });
        },
      };
    },
  };
}
