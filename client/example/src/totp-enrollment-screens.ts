import { field, formValues, h, message, show } from "./dom.js";
import type { Actions, TotpEnrollment } from "./screens.js";

const backToProfile = (actions: Actions, label = "Back to profile") =>
  h("div", { class: "actions" }, h("button", { class: "secondary", onclick: actions.profile }, label));

/** Turning on two-factor login starts with the password (beginTotpEnrollment checks it). */
export function totpPasswordScreen(actions: Actions, error?: string): void {
  show(
    "totp-password",
    h("h2", {}, "Turn on two-factor login"),
    h("p", {}, "Confirm your password to begin."),
    message(error, "error"),
    h(
      "form",
      { onsubmit: (event) => void (({ password = "" }) => actions.beginTotp(password))(formValues(event)) },
      field("Password", "password", "password", "current-password"),
      h("button", { type: "submit" }, "Continue"),
    ),
    backToProfile(actions),
  );
}

/** The new secret as a QR code, as text, and a code from the app to prove it (confirmTotpEnrollment). */
export function totpEnrollScreen(actions: Actions, enrollment: TotpEnrollment, error?: string): void {
  // An <img> renders the server's SVG without running anything in it, unlike inserting it as markup.
  const qr = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrollment.qrCodeSvg)}`;
  show(
    "totp-enroll",
    h("h2", {}, "Scan this code with your authenticator app"),
    message(error, "error"),
    h("img", { class: "qr", src: qr, alt: "QR code of the authenticator key", width: "200", height: "200" }),
    h("p", {}, "Or type in this key: ", h("code", { "data-field": "totp-secret" }, enrollment.secret)),
    h("p", { class: "small" }, h("code", { "data-field": "otpauth-uri" }, enrollment.otpauthUri)),
    h(
      "form",
      { onsubmit: (event) => void (({ code = "" }) => actions.confirmTotp(enrollment, code))(formValues(event)) },
      field("Code from the app", "code", "text", "one-time-code"),
      h("button", { type: "submit" }, "Turn on"),
    ),
    backToProfile(actions, "Cancel"),
  );
}

/** confirmTotpEnrollment's recovery codes: shown this once. */
export function recoveryCodesScreen(actions: Actions, codes: readonly string[]): void {
  show(
    "recovery-codes",
    h("h2", {}, "Two-factor login is on"),
    h(
      "p",
      { class: "notice" },
      "Keep these recovery codes somewhere safe: each one logs you in once without the app. They are shown only now.",
    ),
    h("ol", { class: "codes" }, ...codes.map((code) => h("li", {}, h("code", { "data-recovery-code": "" }, code)))),
    backToProfile(actions, "Continue to profile"),
  );
}
