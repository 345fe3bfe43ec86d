/** The closed set of `extensions.code` values a refusal by this API's rules carries. */
export type ErrorCode = "UNAUTHENTICATED" | "FORBIDDEN" | "BAD_USER_INPUT" | "RATE_LIMITED";

/** Why an `UNAUTHENTICATED` happened, so a client knows whether refreshing can help. */
export type AuthFailureReason =
  | "TOKEN_MISSING"
  | "TOKEN_EXPIRED"
  | "TOKEN_INVALID"
  | "SESSION_REVOKED"
  | "REFRESH_MISSING"
  | "REFRESH_INVALID"
  | "REFRESH_REUSED"
  | "INVALID_CREDENTIALS"
  | "OIDC_STATE_INVALID"
  | "OIDC_FAILED"
  | "MFA_REQUIRED"
  | "MFA_CODE_INVALID"
  | "MFA_TOKEN_INVALID";

/** Why a `BAD_USER_INPUT` happened, when the field alone does not say. */
export type InputFailureReason = "MFA_ALREADY_ENABLED";

/** Why a `FORBIDDEN` happened, when the client can act on it. */
export type ForbiddenReason = "ACCOUNT_EXISTS" | "LAST_SIGN_IN_METHOD";

/** Why a mailed link's token was refused (`BAD_USER_INPUT` on `token`), so a frontend can say what to do next. */
export type LinkFailureReason = "LINK_INVALID" | "LINK_EXPIRED" | "LINK_USED" | "EMAIL_TAKEN";

/** The input fields a `BAD_USER_INPUT` can name. */
export type InputField =
  | "username"
  | "email"
  | "password"
  | "newPassword"
  | "currentPassword"
  | "limit"
  | "offset"
  | "id"
  | "provider"
  | "redirectUri"
  | "code"
  | "state"
  | "iss"
  | "totpCode"
  | "mfaToken"
  | "token"
  | "newEmail";

const AUTH_MESSAGES: Record<AuthFailureReason, string> = {
  TOKEN_MISSING: "Authentication required",
  TOKEN_EXPIRED: "Access token expired",
  TOKEN_INVALID: "Access token invalid",
  SESSION_REVOKED: "Session has ended",
  REFRESH_MISSING: "Refresh token missing",
  REFRESH_INVALID: "Refresh token invalid or expired",
  REFRESH_REUSED: "Refresh token reused; the session has been ended",
  INVALID_CREDENTIALS: "Invalid username or password",
  OIDC_STATE_INVALID: "Sign-in attempt unknown, expired or already used; start again",
  OIDC_FAILED: "Sign-in with the provider failed",
  MFA_REQUIRED: "A second factor is required; call verifyMfa with extensions.mfaToken and a code",
  MFA_CODE_INVALID: "Invalid authentication code",
  MFA_TOKEN_INVALID: "The MFA step has expired or was already used; log in again",
};

const FORBIDDEN_MESSAGES: Record<ForbiddenReason, string> = {
  ACCOUNT_EXISTS: "An account with this email exists; log in with its password and verify the email first",
  LAST_SIGN_IN_METHOD: "This is the account's only way to sign in",
};

const LINK_MESSAGES: Record<LinkFailureReason, string> = {
  LINK_INVALID: "This link is not valid; ask for a new one",
  LINK_EXPIRED: "This link has expired; ask for a new one",
  LINK_USED: "This link was already used or replaced by a newer one",
  EMAIL_TAKEN: "That email address is now used by another account",
};

/**
 * Every refusal this API makes on purpose, raised by services, limits and policies, which know
 * nothing of GraphQL; the GraphQL edge (graphql/error-formatter.ts) turns it into the client's
 * `extensions`. Anything else is unexpected and masked there.
 */
export class AuthError extends Error {
  override readonly name = "AuthError";
  /**
   * With `UNAUTHENTICATED`, with a `FORBIDDEN` the client can act on, and with a `BAD_USER_INPUT`
   * the field alone does not explain.
   */
  readonly reason?: AuthFailureReason | ForbiddenReason | InputFailureReason | LinkFailureReason;
  /** With `BAD_USER_INPUT`: which input was refused. */
  readonly field?: InputField;
  /** With `RATE_LIMITED`: whole seconds until a retry can succeed, at least 1. */
  readonly retryAfter?: number;
  /** With `MFA_REQUIRED`: the single-use token `verifyMfa` completes the login with. */
  readonly mfaToken?: string;
  /**
   * With `RATE_LIMITED`: true for the first refusal of a key in its block, which the audit trail
   * records; the refusals after it in the same block are not recorded again. Never sent to clients.
   */
  readonly firstRefusal?: boolean;

  private constructor(
    readonly code: ErrorCode,
    message: string,
    details: Pick<AuthError, "reason" | "field" | "retryAfter" | "mfaToken" | "firstRefusal"> = {},
  ) {
    super(message);
    Object.assign(this, details);
  }

  static unauthenticated(reason: AuthFailureReason): AuthError {
    return new AuthError("UNAUTHENTICATED", AUTH_MESSAGES[reason], { reason });
  }

  /** The password was right and a second factor is due: `verifyMfa` with this token completes the login. */
  static mfaRequired(mfaToken: string): AuthError {
    return new AuthError("UNAUTHENTICATED", AUTH_MESSAGES.MFA_REQUIRED, { reason: "MFA_REQUIRED", mfaToken });
  }

  static forbidden(message = "Not allowed"): AuthError {
    return new AuthError("FORBIDDEN", message);
  }

  static forbiddenBecause(reason: ForbiddenReason): AuthError {
    return new AuthError("FORBIDDEN", FORBIDDEN_MESSAGES[reason], { reason });
  }

  static badInput(field: InputField, message: string): AuthError {
    return new AuthError("BAD_USER_INPUT", message, { field });
  }

  static badInputBecause(reason: InputFailureReason, message: string): AuthError {
    return new AuthError("BAD_USER_INPUT", message, { reason });
  }

  static linkRefused(reason: LinkFailureReason): AuthError {
    return new AuthError("BAD_USER_INPUT", LINK_MESSAGES[reason], { reason, field: "token" });
  }

  static rateLimited(retryAfterSeconds: number, firstRefusal = true): AuthError {
    const retryAfter = Math.max(1, Math.ceil(retryAfterSeconds));
    return new AuthError("RATE_LIMITED", "Too many attempts; try again later", { retryAfter, firstRefusal });
  }
}
