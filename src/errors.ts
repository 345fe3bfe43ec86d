import type { GraphQLFormattedError } from "graphql";
import { GraphQLError } from "graphql";

/** The closed set of `extensions.code` values this API sends for its own errors. */
export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_USER_INPUT" | "RATE_LIMITED" | "INTERNAL_SERVER_ERROR";

/** Why an `UNAUTHENTICATED` happened, so a client knows whether refreshing can help. */
export type AuthFailureReason =
  | "TOKEN_MISSING"
  | "TOKEN_EXPIRED"
  | "TOKEN_INVALID"
  | "SESSION_REVOKED"
  | "REFRESH_MISSING"
  | "REFRESH_INVALID"
  | "REFRESH_REUSED"
  | "INVALID_CREDENTIALS";

/** The input fields a `BAD_USER_INPUT` can name. */
export type InputField = "username" | "email" | "password" | "newPassword" | "currentPassword" | "limit" | "offset" | "id";

const AUTH_MESSAGES: Record<AuthFailureReason, string> = {
  TOKEN_MISSING: "Authentication required",
  TOKEN_EXPIRED: "Access token expired",
  TOKEN_INVALID: "Access token invalid",
  SESSION_REVOKED: "Session has ended",
  REFRESH_MISSING: "Refresh token missing",
  REFRESH_INVALID: "Refresh token invalid or expired",
  REFRESH_REUSED: "Refresh token reused; the session has been ended",
  INVALID_CREDENTIALS: "Invalid username or password",
};

/** Every error this API raises on purpose. Anything else is masked by `formatError`. */
export class AuthError extends GraphQLError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
    this.code = code;
    this.name = "AuthError";
  }

  static unauthenticated(reason: AuthFailureReason): AuthError {
    return new AuthError("UNAUTHENTICATED", AUTH_MESSAGES[reason], { reason });
  }

  static forbidden(message = "Not allowed"): AuthError {
    return new AuthError("FORBIDDEN", message);
  }

  static badInput(field: InputField, message: string): AuthError {
    return new AuthError("BAD_USER_INPUT", message, { field });
  }

  static rateLimited(retryAfterSeconds: number): AuthError {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
    return new AuthError("RATE_LIMITED", "Too many attempts; try again later", { retryAfter });
  }
}

/** Codes Apollo Server itself raises for bad requests; their messages are safe to show. */
const APOLLO_REQUEST_CODES = new Set([
  "GRAPHQL_PARSE_FAILED",
  "GRAPHQL_VALIDATION_FAILED",
  "BAD_REQUEST",
  "BAD_USER_INPUT",
  "OPERATION_RESOLUTION_FAILURE",
  "PERSISTED_QUERY_NOT_FOUND",
  "PERSISTED_QUERY_NOT_SUPPORTED",
]);

export const GENERIC_MESSAGE = "Internal server error";

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
 * Apollo's `formatError`: passes the closed set through, masks everything else (store and driver
 * messages included) as `INTERNAL_SERVER_ERROR` (OWASP ASVS 16.5.1). Development keeps the detail
 * of unexpected errors only.
 */
export function createErrorFormatter(options: { exposeDetails: boolean; onUnexpected: (error: unknown) => void }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const code = formatted.extensions?.code;
    const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
    if (original instanceof AuthError || isRequestError(error, code)) {
      // Expected outcomes: their stack says nothing useful, even in development.
      const { stacktrace: _stacktrace, ...extensions } = formatted.extensions ?? {};
      return { ...formatted, extensions };
    }
    options.onUnexpected(original);
    if (options.exposeDetails) {
      return { ...formatted, extensions: { ...formatted.extensions, code: "INTERNAL_SERVER_ERROR" } };
    }
    return {
      message: GENERIC_MESSAGE,
      ...(formatted.locations ? { locations: formatted.locations } : {}),
      ...(formatted.path ? { path: formatted.path } : {}),
      extensions: { code: "INTERNAL_SERVER_ERROR" },
    };
  };
}
