import { isClearing, parseSetCookie } from "../../support/set-cookie.js";

/** One request a jar fetch sent: the GraphQL query text and the bearer token it carried. */
export interface SentRequest {
  readonly query: string;
  readonly authorization: string | null;
}

/**
 * Node's fetch keeps no cookies; this one does, as a browser's cookie jar would for one site, and
 * records what was sent so a test can count refreshes. Everything goes to the real server.
 */
export class CookieJarFetch {
  readonly cookies = new Map<string, string>();
  readonly sent: SentRequest[] = [];
  /** Runs after each response is in, before the caller sees it (to move a server's clock at that moment). */
  afterResponse: ((request: SentRequest) => void) | undefined;

  readonly fetch = (async (input: Parameters<typeof fetch>[0], init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    if (this.cookies.size > 0) headers.set("cookie", [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
    const request = { query: String(JSON.parse(String(init?.body ?? "{}")).query ?? ""), authorization: headers.get("authorization") };
    this.sent.push(request);
    const response = await fetch(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) {
      const cookie = parseSetCookie(line);
      if (isClearing(cookie) || cookie.value === "") this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    this.afterResponse?.(request);
    return response;
  }) as typeof fetch;

  /** How many requests so far asked for the given root field, e.g. `refreshToken`. */
  count(field: string): number {
    return this.sent.filter((request) => new RegExp(`\\b${field}\\b`).test(request.query)).length;
  }
}
