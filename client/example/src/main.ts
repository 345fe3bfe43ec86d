import { ApolloClient, CombinedGraphQLErrors, HttpLink, InMemoryCache } from "@apollo/client";
import {
  BeginTotpEnrollmentDocument,
  CompleteOidcLoginDocument,
  ConfirmTotpEnrollmentDocument,
  createAuthFetch,
  LoginDocument,
  MeDocument,
  OidcProvidersDocument,
  RevokeSessionDocument,
  type SessionEndReason,
  SessionsDocument,
  SignUpDocument,
  StartOidcLoginDocument,
  VerifyMfaDocument,
} from "@graphql-auth-api/client";
import { showError } from "./dom.js";
import { type Actions, loginScreen, mfaScreen, profileScreen, sessionsScreen, signUpScreen } from "./screens.js";
import { recoveryCodesScreen, totpEnrollScreen, totpPasswordScreen } from "./totp-enrollment-screens.js";

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

/** What this app says for refusals whose server message is written for developers. */
const SAY: Partial<Record<string, string>> = {
  MFA_CODE_INVALID: "That code is not right, or it was used already. Try the next code from your app.",
  MFA_TOKEN_INVALID: "Your sign-in took too long or was already completed. Please log in again.",
  ACCOUNT_EXISTS: "An account with this email exists: log in with its password first.",
};

/** The first GraphQL error's reason, message and (with MFA_REQUIRED) mfaToken, or the network error's message. */
function describe(error: unknown): { reason?: string; text: string; mfaToken?: string } {
  if (CombinedGraphQLErrors.is(error)) {
    const first = error.errors[0];
    const reason = first?.extensions?.reason as string | undefined;
    const mfaToken = first?.extensions?.mfaToken;
    return {
      reason,
      text: (reason && SAY[reason]) || (first?.message ?? error.message),
      ...(typeof mfaToken === "string" ? { mfaToken } : {}),
    };
  }
  return { text: error instanceof Error ? error.message : String(error) };
}

/** A request the session may have ended under: onSessionEnd has then shown the login screen already. */
async function whileSignedIn(run: () => Promise<void>, onError: (text: string) => void = showError): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (auth.getAccessToken() !== null) onError(describe(error).text);
  }
}

/**
 * A login (password or provider) that did not complete. MFA_REQUIRED is the first factor accepted:
 * the second-factor screen takes over with the answer's mfaToken (auth.fetch hands it back untouched).
 */
function loginRefused(error: unknown): void {
  const { reason, text, mfaToken } = describe(error);
  if (reason === "MFA_REQUIRED" && mfaToken) mfaScreen(actions, mfaToken);
  else loginScreen(actions, undefined, text);
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
      loginRefused(error);
    }
  },
  async verifyMfa(mfaToken, code) {
    try {
      // Its answer carries a token like login's: auth.fetch learns it, and the session has begun.
      await apollo.mutate({ mutation: VerifyMfaDocument, variables: { input: { mfaToken, code } } });
      actions.profile();
    } catch (error) {
      const { reason, text } = describe(error);
      // An expired, used or exhausted mfaToken cannot be retried: only a new login gives another.
      if (reason === "MFA_TOKEN_INVALID") loginScreen(actions, undefined, text);
      else mfaScreen(actions, mfaToken, text);
    }
  },
  beginTotp: (password) =>
    whileSignedIn(
      async () => {
        const { data } = await apollo.mutate({ mutation: BeginTotpEnrollmentDocument, variables: { currentPassword: password } });
        if (data) totpEnrollScreen(actions, data.beginTotpEnrollment);
      },
      (text) => totpPasswordScreen(actions, text),
    ),
  confirmTotp: (enrollment, code) =>
    whileSignedIn(
      async () => {
        const { data } = await apollo.mutate({ mutation: ConfirmTotpEnrollmentDocument, variables: { code } });
        if (data) recoveryCodesScreen(actions, data.confirmTotpEnrollment);
      },
      (text) => totpEnrollScreen(actions, enrollment, text),
    ),
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
    loginRefused(failure);
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
