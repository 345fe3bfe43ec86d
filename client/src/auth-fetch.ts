import { endsSession, type GraphQLAnswer, type IssuedToken, isRefreshable, readAnswer, type SessionEndReason } from "./graphql-answer.js";
import { connectTabs, type TabMessage } from "./tab-sync.js";

export interface AuthFetchOptions {
  /** The API's GraphQL endpoint, e.g. `https://api.example.com/graphql`. */
  readonly url: string;
  /** The fetch to send with; default `globalThis.fetch`. Every request goes with `credentials: "include"`. */
  readonly fetch?: typeof fetch;
  /** Called once when the session ends, with why; the app shows its login screen. */
  readonly onSessionEnd?: (reason: SessionEndReason) => void;
  /** Milliseconds since the epoch, for refreshing ahead of expiry; default `Date.now`. */
  readonly now?: () => number;
  /** Share refreshes, new tokens and logouts with the other tabs; default on where `document` exists (a browser page). */
  readonly tabSync?: boolean;
}

export interface AuthFetch {
  /** A drop-in fetch for any GraphQL client: adds the token, learns new ones, refreshes and retries once. */
  readonly fetch: typeof fetch;
  /** The access token, held in memory only; null when there is none. */
  getAccessToken(): string | null;
  /** One `refreshToken` call, shared by every concurrent caller (and tab); null when the session has ended. */
  refresh(): Promise<string | null>;
  /** The `logout` mutation, then the token is forgotten (even if the mutation could not be sent). */
  logout(): Promise<void>;
}

/** A `refreshToken` answer that neither gave a token nor ended the session (rate limit, server error). */
export class RefreshFailedError extends Error {
  constructor(readonly code: string | undefined) {
    super(`refreshToken failed${code ? `: ${code}` : ""}`);
    this.name = "RefreshFailedError";
  }
}

/** What fetch takes as its first argument, in browsers and in Node alike. */
type FetchInput = Parameters<typeof fetch>[0];

interface HeldToken {
  readonly value: string;
  readonly expiresAt: number;
  /** Milliseconds the token was valid for when issued. */
  readonly lifetime: number;
}

const JSON_HEADERS = { "content-type": "application/json" };
const REFRESH_BODY = JSON.stringify({ query: "mutation RefreshToken { refreshToken { accessToken expiresIn } }" });
const LOGOUT_BODY = JSON.stringify({ query: "mutation Logout { logout }" });
/** Refresh before a request when less than this share of the token's life is left. */
const REFRESH_AHEAD = 0.1;

/**
 * The token rules every frontend otherwise writes by hand. The access token lives in this closure
 * only, never in Web Storage or a readable cookie, where any injected script could take it (OWASP
 * HTML5 Security Cheat Sheet, "Local Storage"); the refresh token is the HttpOnly cookie the
 * browser sends by itself.
 *
 * @example
 * const auth = createAuthFetch({ url: "https://api.example.com/graphql", onSessionEnd: showLogin });
 * const client = new ApolloClient({ link: new HttpLink({ uri: "https://api.example.com/graphql", fetch: auth.fetch }), cache: new InMemoryCache() });
 */
export function createAuthFetch(options: AuthFetchOptions): AuthFetch {
  const send = options.fetch ?? globalThis.fetch.bind(globalThis);
  const now = options.now ?? Date.now;
  let held: HeldToken | null = null;
  /** Set once onSessionEnd has been told, until a new token arrives: so it is told once per session. */
  let ended = false;
  let refreshing: Promise<string | null> | null = null;

  const syncTabs = options.tabSync ?? typeof (globalThis as { document?: unknown }).document !== "undefined";
  const tabs = syncTabs ? connectTabs(options.url, onTabMessage) : undefined;

  function hold(token: HeldToken, fromTab: boolean): void {
    held = token;
    ended = false;
    if (!fromTab) tabs?.post({ type: "token", accessToken: token.value, expiresAt: token.expiresAt, lifetime: token.lifetime });
  }

  function learn(token: IssuedToken): void {
    const lifetime = token.expiresIn * 1000;
    hold({ value: token.accessToken, expiresAt: now() + lifetime, lifetime }, false);
  }

  function endSession(reason: SessionEndReason, fromTab: boolean): void {
    held = null;
    if (!fromTab) tabs?.post({ type: "end", reason });
    if (ended) return;
    ended = true;
    options.onSessionEnd?.(reason);
  }

  function onTabMessage(message: TabMessage): void {
    if (message.type === "token") hold({ value: message.accessToken, expiresAt: message.expiresAt, lifetime: message.lifetime }, true);
    else endSession(message.reason, true);
  }

  const nearExpiry = (token: HeldToken) => token.expiresAt - now() < token.lifetime * REFRESH_AHEAD;

  /** Sends with the token (if any) and the cookie, and takes in what the answer says about the session. */
  async function exchange(input: FetchInput, init: RequestInit | undefined, token: string | null) {
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (token !== null) headers.set("authorization", `Bearer ${token}`);
    const response = await send(input, { ...init, headers, credentials: "include" });
    const answer = await readAnswer(response);
    if (answer) absorb(answer);
    return { response, answer };
  }

  function absorb(answer: GraphQLAnswer): void {
    if (answer.token) learn(answer.token);
    else if (answer.loggedOut) endSession("LOGGED_OUT", false);
    else if (answer.reason === "SESSION_REVOKED") endSession("SESSION_REVOKED", false);
  }

  /**
   * Refreshes unless the token has already moved on from `stale` (another request or tab refreshed
   * while this one waited). Concurrent callers share one flight; tabs take turns through the lock.
   */
  function refreshAfter(stale: string | null): Promise<string | null> {
    refreshing ??= (async () => {
      try {
        return await (tabs ? tabs.exclusive(() => refreshNow(stale)) : refreshNow(stale));
      } finally {
        refreshing = null;
      }
    })();
    return refreshing;
  }

  async function refreshNow(stale: string | null): Promise<string | null> {
    if (held !== null && held.value !== stale && !nearExpiry(held)) return held.value;
    const { answer } = await exchange(options.url, { method: "POST", headers: JSON_HEADERS, body: REFRESH_BODY }, null);
    if (answer?.token) return held?.value ?? null;
    if (endsSession(answer?.reason)) {
      endSession(answer.reason, false);
      return null;
    }
    throw new RefreshFailedError(answer?.reason);
  }

  const authFetch = async (input: FetchInput, init?: RequestInit): Promise<Response> => {
    // A Request's body can be read once; keep a copy for the one retry.
    const replay = input instanceof Request ? input.clone() : input;
    let refreshed = false;
    if (held !== null && nearExpiry(held)) {
      refreshed = true;
      // Still valid if the refresh fails for a network reason; a REFRESH_* failure has ended the session.
      await refreshAfter(held.value).catch(() => null);
    }
    const sentWith = held?.value ?? null;
    const first = await exchange(input, init, sentWith);
    // One refresh per request at most, so a server that keeps refusing can never cause a loop.
    if (refreshed || !isRefreshable(first.answer?.reason)) return first.response;
    let token: string | null;
    try {
      token = await refreshAfter(sentWith);
    } catch {
      return first.response;
    }
    if (token === null) return first.response;
    return (await exchange(replay, init, token)).response;
  };

  return {
    fetch: authFetch as typeof fetch,
    getAccessToken: () => held?.value ?? null,
    refresh: () => refreshAfter(held?.value ?? null),
    async logout() {
      try {
        await exchange(options.url, { method: "POST", headers: JSON_HEADERS, body: LOGOUT_BODY }, held?.value ?? null);
      } finally {
        endSession("LOGGED_OUT", false);
      }
    },
  };
}
