import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from "@apollo/client";
import {
  CompleteOidcLoginDocument,
  createAuthFetch,
  LoginDocument,
  MeDocument,
  OidcProvidersDocument,
  RevokeSessionDocument,
  type SessionEndReason,
  SessionsDocument,
  SignUpDocument,
  StartOidcLoginDocument,
} from "@graphql-auth-api/client";
import { showError } from "./dom.js";
import { type Actions, loginScreen, profileScreen, sessionsScreen, signUpScreen } from "./screens.js";

/** This page is also the sign-in callback: list exactly this URL in the API's OIDC_REDIRECT_URIS. */
const CALLBACK = `${location.origin}${location.pathname}`;
const PROVIDER_KEY = "oidc-provider";

const url = document.querySelector<HTMLMetaElement>('meta[name="graphql-url"]')?.content ?? "http://localhost:4000/graphql";

const ENDED: Record<SessionEndReason, string> = {
  LOGGED_OUT: "You are logged out.",
  SESSION_REVOKED: "Your session was ended from another device.",
  REFRESH_INVALID: "Your session has expired. Please log in again.",
  REFRESH_REUSED: "Your session was ended because its refresh token was used twice.",
  REFRESH_MISSING: "",
};

// The whole token story is here: auth.fetch adds, learns, refreshes and forgets the access token,
// and tells us when the session ends (in this tab or another).
const auth = createAuthFetch({
  url,
  onSessionEnd: (reason) => {
    void apollo.clearStore();
    loginScreen(actions, ENDED[reason] || undefined);
  },
});
const apollo = new ApolloClient({ link: new HttpLink({ uri: url, fetch: auth.fetch }), cache: new InMemoryCache() });

/** The first GraphQL error's reason and message, or the network error's message. */
function describe(error: unknown): { reason?: string; text: string } {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    return { reason: first?.extensions?.reason as string | undefined, text: first?.message ?? error.message };
  }
  return { text: error instanceof Error ? error.message : String(error) };
}

/** A request the session may have ended under: onSessionEnd has then shown the login screen already. */
async function whileSignedIn(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (auth.getAccessToken() !== null) showError(describe(error).text);
  }
}

const actions: Actions = {
  providers: [],
  async signInWith(provider) {
    try {
      const { data } = await apollo.mutate({ mutation: StartOidcLoginDocument, variables: { provider, redirectUri: CALLBACK } });
      // The provider sends the browser back here; remember which one it was.
      sessionStorage.setItem(PROVIDER_KEY, provider);
      if (data) location.assign(data.startOidcLogin.url);
    } catch (error) {
      loginScreen(actions, undefined, describe(error).text);
    }
  },
  async login(username, password) {
    try {
      await apollo.mutate({ mutation: LoginDocument, variables: { input: { username, password } } });
      actions.profile();
    } catch (error) {
      const { reason, text } = describe(error);
      // The second factor (verifyMfa with the answer's mfaToken) is not in this example yet: the
      // server has no MFA so far. auth.fetch hands MFA_REQUIRED back untouched for that step.
      loginScreen(
        actions,
        undefined,
        reason === "MFA_REQUIRED" ? "This account needs a second factor, which this example cannot do yet." : text,
      );
    }
  },
  async signUp(username, email, password) {
    try {
      await apollo.mutate({ mutation: SignUpDocument, variables: { input: { username, email, password } } });
      actions.profile();
    } catch (error) {
      signUpScreen(actions, describe(error).text);
    }
  },
  profile: () =>
    whileSignedIn(async () => {
      const { data } = await apollo.query({ query: MeDocument, fetchPolicy: "network-only" });
      if (data) profileScreen(actions, data.me);
    }),
  sessions: () =>
    whileSignedIn(async () => {
      const { data } = await apollo.query({ query: SessionsDocument, fetchPolicy: "network-only" });
      if (data) sessionsScreen(actions, data.sessions);
    }),
  endSession: (session) =>
    whileSignedIn(async () => {
      // This browser's own row logs out properly (and clears the cookie); another row ends that device's session.
      if (session.current) return auth.logout();
      await apollo.mutate({ mutation: RevokeSessionDocument, variables: { id: session.id } });
      return actions.sessions();
    }),
  logout: () => void auth.logout().catch(() => {}),
};

/**
 * Back from a provider (code and state in the query): hands them to completeOidcLogin, whose answer
 * auth.fetch learns the token from like login's. True when this was such a return.
 */
async function completeSignIn(): Promise<boolean> {
  const params = new URLSearchParams(location.search);
  const provider = sessionStorage.getItem(PROVIDER_KEY);
  if (!params.has("state") || provider === null) return false;
  sessionStorage.removeItem(PROVIDER_KEY);
  history.replaceState(null, "", CALLBACK);
  const error = params.get("error");
  if (error !== null) {
    loginScreen(actions, undefined, `The provider did not sign you in (${error}).`);
    return true;
  }
  const input = {
    provider,
    code: params.get("code") ?? "",
    state: params.get("state") ?? "",
    iss: params.get("iss"),
    redirectUri: CALLBACK,
  };
  try {
    await apollo.mutate({ mutation: CompleteOidcLoginDocument, variables: { input } });
    actions.profile();
  } catch (failure) {
    const { reason, text } = describe(failure);
    loginScreen(
      actions,
      undefined,
      reason === "ACCOUNT_EXISTS" ? "An account with this email exists: log in with its password first." : text,
    );
  }
  return true;
}

/** A reload keeps the session: the HttpOnly cookie is still there, so one refresh gives this tab a token. */
async function start(): Promise<void> {
  try {
    const { data } = await apollo.query({ query: OidcProvidersDocument });
    actions.providers.push(...(data?.oidcProviders ?? []));
    if (await completeSignIn()) return;
    if (await auth.refresh()) actions.profile();
  } catch (error) {
    loginScreen(actions, undefined, `The API at ${url} did not answer: ${describe(error).text}`);
  }
}

void start();
