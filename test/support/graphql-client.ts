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
    for (const line of setCookies) {
      const [pair = ""] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = /max-age=0\b/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line);
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
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

export const AUTH_FIELDS = "accessToken tokenType expiresIn user { id username email roles createdAt }";

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${AUTH_FIELDS} } }`;
export const LOGIN = `mutation Login($input: LoginInput!) { login(input: $input) { ${AUTH_FIELDS} } }`;
export const REFRESH = `mutation { refreshToken { ${AUTH_FIELDS} } }`;
export const LOGOUT = "mutation { logout }";
export const LOGOUT_ALL = "mutation { logoutAll }";
export const ME = "query { me { id username email roles createdAt } }";
export const SESSIONS = "query { sessions { id createdAt lastUsedAt expiresAt userAgent ipAddress current } }";
export const REVOKE_SESSION = "mutation Revoke($id: ID!) { revokeSession(id: $id) }";
export const CHANGE_PASSWORD = `mutation Change($input: ChangePasswordInput!) { changePassword(input: $input) { ${AUTH_FIELDS} } }`;
export const USERS = "query Users($limit: Int, $offset: Int) { users(limit: $limit, offset: $offset) { id username createdAt } }";

/** The first error's code and reason, for assertions. */
export function errorOf(response: GraphQLResponse): { code?: string; reason?: string; field?: string } {
  const extensions = response.body.errors?.[0]?.extensions ?? {};
  return { code: extensions.code, reason: extensions.reason, field: extensions.field };
}
