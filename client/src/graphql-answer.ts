/** Why a session ended, as `onSessionEnd` receives it. */
export type SessionEndReason = "REFRESH_MISSING" | "REFRESH_INVALID" | "REFRESH_REUSED" | "SESSION_REVOKED" | "LOGGED_OUT";

/** An access token as the API hands it out: the token and its lifetime in seconds. */
export interface IssuedToken {
  readonly accessToken: string;
  readonly expiresIn: number;
}

/** What the client needs to know of one GraphQL response. */
export interface GraphQLAnswer {
  /** A token the answer carries (`signUp`, `login`, `verifyMfa`, `completeOidcLogin`, `refreshToken`, `changePassword`). */
  readonly token: IssuedToken | undefined;
  /** The answer to a `logout` or `logoutAll`: the session is over. */
  readonly loggedOut: boolean;
  /** The first `UNAUTHENTICATED` error's `extensions.reason`. */
  readonly reason: string | undefined;
}

/** Answers a new access token (and nothing else) can fix. */
const REFRESHABLE: ReadonlySet<string> = new Set(["TOKEN_EXPIRED", "TOKEN_MISSING", "TOKEN_INVALID"]);
/** Answers that end the session: the refresh cookie is gone, spent or stolen, or the session was ended elsewhere. */
const SESSION_ENDING: ReadonlySet<string> = new Set(["REFRESH_MISSING", "REFRESH_INVALID", "REFRESH_REUSED", "SESSION_REVOKED"]);

export function isRefreshable(reason: string | undefined): boolean {
  return reason !== undefined && REFRESHABLE.has(reason);
}

export function endsSession(reason: string | undefined): reason is Exclude<SessionEndReason, "LOGGED_OUT"> {
  return reason !== undefined && SESSION_ENDING.has(reason);
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null;

function tokenIn(data: unknown): IssuedToken | undefined {
  if (!isObject(data)) return undefined;
  for (const field of Object.values(data)) {
    if (isObject(field) && typeof field.accessToken === "string" && typeof field.expiresIn === "number") {
      return { accessToken: field.accessToken, expiresIn: field.expiresIn };
    }
  }
  return undefined;
}

function unauthenticatedReason(errors: unknown): string | undefined {
  if (!Array.isArray(errors)) return undefined;
  for (const error of errors) {
    const extensions = isObject(error) ? error.extensions : undefined;
    if (isObject(extensions) && extensions.code === "UNAUTHENTICATED" && typeof extensions.reason === "string") return extensions.reason;
  }
  return undefined;
}

/**
 * Reads a GraphQL response body without consuming it (the caller still gets the original), or
 * undefined when it is not a GraphQL JSON answer. A batched answer (an array) counts as its parts
 * together. Anything else in the answer, such as `login`'s `MFA_REQUIRED` with its `mfaToken`, is
 * the app's to handle and passes through untouched.
 */
export async function readAnswer(response: Response): Promise<GraphQLAnswer | undefined> {
  if (!/json/i.test(response.headers.get("content-type") ?? "")) return undefined;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return undefined;
  }
  const results = (Array.isArray(body) ? body : [body]).filter(isObject);
  if (results.length === 0) return undefined;
  let token: IssuedToken | undefined;
  let loggedOut = false;
  let reason: string | undefined;
  for (const result of results) {
    token ??= tokenIn(result.data);
    const data = isObject(result.data) ? result.data : {};
    loggedOut ||= data.logout === true || typeof data.logoutAll === "number";
    reason ??= unauthenticatedReason(result.errors);
  }
  return { token, loggedOut, reason };
}
