import { ApolloServerErrorCode, unwrapResolverError } from "@apollo/server/errors";
import { GraphQLError, type GraphQLFormattedError } from "graphql";
import { AuthError } from "../errors.js";

/** Codes Apollo Server itself raises for bad requests; their messages are safe to show. */
const APOLLO_REQUEST_CODES: ReadonlySet<string> = new Set([
  ApolloServerErrorCode.GRAPHQL_PARSE_FAILED,
  ApolloServerErrorCode.GRAPHQL_VALIDATION_FAILED,
  ApolloServerErrorCode.BAD_REQUEST,
  ApolloServerErrorCode.BAD_USER_INPUT,
  ApolloServerErrorCode.OPERATION_RESOLUTION_FAILURE,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_FOUND,
  ApolloServerErrorCode.PERSISTED_QUERY_NOT_SUPPORTED,
]);

export const GENERIC_MESSAGE = "Internal server error";

/** The one translation of a service refusal into what the client sees in `extensions`. */
function extensionsOf(error: AuthError): Record<string, unknown> {
  return {
    code: error.code,
    ...(error.reason !== undefined ? { reason: error.reason } : {}),
    ...(error.field !== undefined ? { field: error.field } : {}),
    ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    ...(error.mfaToken !== undefined ? { mfaToken: error.mfaToken } : {}),
  };
}

/**
 * A refusal of the request itself (syntax, validation, limits, variables), raised before any
 * resolver ran. Apollo wraps graphql-js's own error in these, so `originalError` is set; what
 * tells them from a resolver's failure is that they carry no `path`, and that whatever they wrap
 * is itself a GraphQLError (never a driver or runtime error whose message could leak).
 */
function isRequestError(error: unknown, code: unknown): boolean {
  if (!(error instanceof GraphQLError) || error.path !== undefined) return false;
  if (typeof code !== "string" || !APOLLO_REQUEST_CODES.has(code)) return false;
  const inner = error.originalError;
  return inner === undefined || inner === null || inner instanceof GraphQLError;
}

/**
 * An error the rules below mask: neither a service refusal nor a refusal of the request itself.
 * Its detail belongs in the server's log (with the request id: see request-plugin.ts).
 */
export function isUnexpected(error: GraphQLError): boolean {
  return !(unwrapResolverError(error) instanceof AuthError) && !isRequestError(error, error.extensions?.code);
}

/** How graphql-js's suggestion begins; it ends the message with "?". */
const SUGGESTION = "Did you mean ";

/**
 * A refusal's message without the names it suggests (unknown fields, arguments, types and enum
 * values): they would spell out the schema that production keeps unlisted (introspection off;
 * OWASP ASVS 4.3.2). A plain scan, not a pattern: refusals of variables quote the client's own
 * values, so a backtracking pattern could be made to run for seconds (CWE-1333).
 */
function withoutSuggestion(message: string): string {
  const at = message.lastIndexOf(SUGGESTION);
  if (at === -1 || !message.endsWith("?")) return message;
  return message.slice(0, at).trimEnd();
}

/**
 * Apollo's `formatError`, the GraphQL edge of the error rules: a service's AuthError becomes its
 * code with reason, field or retryAfter; Apollo's request refusals pass through; everything else
 * (store and driver messages included) is masked as `INTERNAL_SERVER_ERROR` (OWASP ASVS 16.5.1).
 * Development keeps the detail of unexpected errors only; production drops field suggestions.
 */
export function createErrorFormatter(options: { exposeDetails: boolean; hideSuggestions: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    // Expected outcomes: their stack says nothing useful, even in development.
    if (original instanceof AuthError) return { ...formatted, extensions: extensionsOf(original) };
    if (isRequestError(error, formatted.extensions?.code)) {
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      const message = options.hideSuggestions ? withoutSuggestion(formatted.message) : formatted.message;
      return { ...formatted, message, extensions };
    }
    if (options.exposeDetails) {
      return { ...formatted, extensions: { ...formatted.extensions, code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR } };
    }
    return {
      message: GENERIC_MESSAGE,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: ApolloServerErrorCode.INTERNAL_SERVER_ERROR },
    };
  };
}
