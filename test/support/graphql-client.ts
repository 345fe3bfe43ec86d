import { print } from "graphql";
import {
  ChangePasswordDocument,
  LoginDocument,
  LogoutAllDocument,
  LogoutDocument,
  MeDocument,
  RefreshTokenDocument,
  RevokeSessionDocument,
  SessionsDocument,
  SignUpDocument,
  UsersDocument,
} from "../../client/generated/operations.js";
import { isClearing, parseSetCookie } from "../../support/set-cookie.js";

/** A minimal GraphQL-over-HTTP client with a cookie jar, as a browser or curl would hold one. */
export interface GraphQLResponse<T = any> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: { data?: T | null; errors?: { message: string; extensions?: Record<string, any> }[] };
  /** Raw Set-Cookie header lines. */
  readonly setCookies: string[];
}

export interface RequestOptions {
  readonly token?: string;
  readonly headers?: Record<string, string>;
  /** Overrides the jar's cookie header entirely. */
  readonly cookie?: string;
}

export class GraphQLClient {
  /** name -> value, as the server last set them. */
  readonly cookies = new Map<string, string>();
  accessToken: string | undefined;

  constructor(readonly baseUrl: string) {}

  get endpoint(): string {
    return `${this.baseUrl}/graphql`;
  }

  async request<T = any>(query: string, variables?: Record<string, unknown>, options: RequestOptions = {}): Promise<GraphQLResponse<T>> {
    const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
    const token = options.token ?? this.accessToken;
    if (token !== undefined && headers.authorization === undefined) headers.authorization = `Bearer ${token}`;
    const cookie = options.cookie ?? this.cookieHeader();
    if (cookie) headers.cookie = cookie;
    const res = await fetch(this.endpoint, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
    return this.absorb<T>(res);
  }

  /** Reads a response, keeping its cookies in the jar. */
  async absorb<T>(res: Response): Promise<GraphQLResponse<T>> {
    const setCookies = res.headers.getSetCookie();
    for (const cookie of setCookies.map(parseSetCookie)) {
      if (isClearing(cookie) || cookie.value === "") this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    const text = await res.text();
    let body: GraphQLResponse<T>["body"];
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`non-JSON response (${res.status}): ${text.slice(0, 200)}`);
    }
    return { status: res.status, headers: res.headers, body, setCookies };
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }
}

/**
 * The operations a frontend sends, printed from the typed documents codegen makes of
 * client/operations (one source: the tests send exactly what the client package sends).
 */
export const SIGN_UP = print(SignUpDocument);
export const LOGIN = print(LoginDocument);
export const REFRESH = print(RefreshTokenDocument);
export const LOGOUT = print(LogoutDocument);
export const LOGOUT_ALL = print(LogoutAllDocument);
export const ME = print(MeDocument);
export const SESSIONS = print(SessionsDocument);
export const REVOKE_SESSION = print(RevokeSessionDocument);
export const CHANGE_PASSWORD = print(ChangePasswordDocument);
export const USERS = print(UsersDocument);

/** The first error's code and reason, for assertions. */
export function errorOf(response: GraphQLResponse): { code?: string; reason?: string; field?: string } {
  const extensions = response.body.errors?.[0]?.extensions ?? {};
  return { code: extensions.code, reason: extensions.reason, field: extensions.field };
}
