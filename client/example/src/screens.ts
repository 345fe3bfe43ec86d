import type { BeginTotpEnrollmentMutation, MeQuery, OidcProvidersQuery, SessionsQuery } from "@graphql-auth-api/client";
import { field, formValues, h, message, show } from "./dom.js";
import { totpPasswordScreen } from "./totp-enrollment-screens.js";

type User = MeQuery["me"];
type Session = SessionsQuery["sessions"][number];
type Provider = OidcProvidersQuery["oidcProviders"][number];
export type TotpEnrollment = BeginTotpEnrollmentMutation["beginTotpEnrollment"];

export interface Actions {
  /** The OpenID providers the API offers, for "Sign in with …" buttons; filled at start. */
  readonly providers: Provider[];
  login(username: string, password: string): void;
  signInWith(provider: string): void;
  signUp(username: string, email: string, password: string): void;
  profile(): void;
  sessions(): void;
  endSession(session: Session): void;
  logout(): void;
  /** The second step of a login that answered MFA_REQUIRED: its mfaToken and the code the user typed. */
  verifyMfa(mfaToken: string, code: string): void;
  /** Turning on two-factor login: the password, then a code from the authenticator app. */
  beginTotp(password: string): void;
  confirmTotp(enrollment: TotpEnrollment, code: string): void;
}

export function loginScreen(actions: Actions, notice?: string, error?: string): void {
  show(
    "login",
    h("h2", {}, "Log in"),
    message(notice, "notice"),
    message(error, "error"),
    h(
      "form",
      { onsubmit: (event) => void (({ username = "", password = "" }) => actions.login(username, password))(formValues(event)) },
      field("Username or email", "username", "text", "username"),
      field("Password", "password", "password", "current-password"),
      h("button", { type: "submit" }, "Log in"),
    ),
    ...actions.providers.map((p) =>
      h(
        "div",
        { class: "actions" },
        h("button", { class: "secondary", onclick: () => actions.signInWith(p.id) }, `Sign in with ${p.name}`),
      ),
    ),
    h("div", { class: "actions" }, h("button", { class: "secondary", onclick: () => signUpScreen(actions) }, "Create an account")),
  );
}

/** After a right password (or a provider's sign-in) on an account with two-factor login on. */
export function mfaScreen(actions: Actions, mfaToken: string, error?: string): void {
  show(
    "mfa",
    h("h2", {}, "Second factor"),
    h("p", {}, "Enter the 6-digit code from your authenticator app, or one of your recovery codes."),
    message(error, "error"),
    h(
      "form",
      // The mfaToken stays in this closure, like the access token: nowhere a script could read it later.
      { onsubmit: (event) => void (({ code = "" }) => actions.verifyMfa(mfaToken, code))(formValues(event)) },
      field("Code", "code", "text", "one-time-code"),
      h("button", { type: "submit" }, "Verify"),
    ),
    h("div", { class: "actions" }, h("button", { class: "secondary", onclick: () => loginScreen(actions) }, "Back to log in")),
  );
}

export function signUpScreen(actions: Actions, error?: string): void {
  show(
    "signup",
    h("h2", {}, "Create an account"),
    message(error, "error"),
    h(
      "form",
      {
        onsubmit: (event) =>
          void (({ username = "", email = "", password = "" }) => actions.signUp(username, email, password))(formValues(event)),
      },
      field("Username", "username", "text", "username"),
      field("Email", "email", "email", "email"),
      field("Password (at least 8 characters)", "password", "password", "new-password"),
      h("button", { type: "submit" }, "Sign up"),
    ),
    h("div", { class: "actions" }, h("button", { class: "secondary", onclick: () => loginScreen(actions) }, "I have an account")),
  );
}

export function profileScreen(actions: Actions, user: User): void {
  show(
    "profile",
    h("h2", {}, `Hello, ${user.username}`),
    h(
      "dl",
      {},
      h("dt", {}, "Email"),
      h("dd", { "data-field": "email" }, user.email),
      h("dt", {}, "Roles"),
      h("dd", {}, user.roles.join(", ")),
      h("dt", {}, "Member since"),
      h("dd", {}, new Date(user.createdAt).toLocaleString()),
      h("dt", {}, "Two-factor login"),
      h("dd", { "data-field": "mfa" }, user.mfaEnabled ? "on" : "off"),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "secondary", onclick: actions.profile }, "Reload"),
      h("button", { class: "secondary", onclick: actions.sessions }, "Sessions"),
      !user.mfaEnabled && h("button", { class: "secondary", onclick: () => totpPasswordScreen(actions) }, "Turn on two-factor login"),
      h("button", { class: "danger", onclick: actions.logout }, "Log out"),
    ),
  );
}

export function sessionsScreen(actions: Actions, sessions: readonly Session[]): void {
  const row = (session: Session) =>
    h(
      "tr",
      { "data-session": session.id },
      h("td", {}, session.current ? "this browser" : (session.userAgent ?? "unknown device")),
      h("td", {}, new Date(session.createdAt).toLocaleString()),
      h("td", {}, new Date(session.lastUsedAt).toLocaleString()),
      h("td", {}, h("button", { class: "danger", onclick: () => actions.endSession(session) }, "Log out this device")),
    );
  show(
    "sessions",
    h("h2", {}, `Sessions (${sessions.length})`),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", {}, "Device"), h("th", {}, "Started"), h("th", {}, "Last used"), h("th", {}))),
      h("tbody", {}, ...sessions.map(row)),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { class: "secondary", onclick: actions.profile }, "Back to profile"),
      h("button", { class: "secondary", onclick: actions.sessions }, "Reload"),
    ),
  );
}
