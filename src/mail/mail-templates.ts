import type { OutgoingMail } from "./mail-transport.js";

/**
 * The mails the service sends. Plain text carries every link whole (clients that show no HTML, and
 * users who copy it); the HTML part says the same. Nothing from the user is put in unescaped.
 */

const escapeHtml = (value: string) =>
  value.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

/** A mail of paragraphs; a link, when given, goes on its own line after the first `before` paragraphs. */
function compose(
  to: string,
  subject: string,
  before: readonly string[],
  link?: { url: string; label: string },
  after: readonly string[] = [],
) {
  const text = [...before, ...(link ? [link.url] : []), ...after].join("\n\n");
  const html = [
    ...before.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`] : []),
    ...after.map((p) => `<p>${escapeHtml(p)}</p>`),
  ].join("\n");
  const mail: OutgoingMail = { to, subject, text: `${text}\n`, html: `<!doctype html>\n<html><body>\n${html}\n</body></html>\n` };
  return mail;
}

/** The frontend page with the token as its `token` query parameter. */
export function linkTo(page: string, token: string): string {
  const url = new URL(page);
  url.searchParams.set("token", token);
  return url.toString();
}

function minutes(ms: number): string {
  const total = Math.round(ms / 60_000);
  return total >= 120 && total % 60 === 0 ? `${total / 60} hours` : `${total} minutes`;
}

const IGNORE = "If you did not ask for this, ignore this message; nothing changes unless the link is used.";
const NOT_YOU = "If this was not you, reset your password at once and review your active sessions.";

export const mails = {
  passwordReset: (to: string, url: string, ttlMs: number) =>
    compose(
      to,
      "Reset your password",
      [`Someone asked to reset the password of your account. Open this link within ${minutes(ttlMs)} to choose a new one:`],
      { url, label: "Choose a new password" },
      [IGNORE],
    ),

  emailVerification: (to: string, url: string, ttlMs: number) =>
    compose(
      to,
      "Confirm your email address",
      [`Open this link within ${minutes(ttlMs)} to confirm this address for your account:`, IGNORE],
      {
        url,
        label: "Confirm this address",
      },
    ),

  passwordChanged: (to: string) => compose(to, "Your password was changed", ["The password of your account was just changed.", NOT_YOU]),

  emailChangeRequested: (to: string) =>
    compose(to, "Your email address is about to change", [
      "Someone signed in to your account asked to change its email address. It changes only when the link sent to the new address is opened.",
      NOT_YOU,
    ]),

  mfaEnabled: (to: string) =>
    compose(to, "Two-factor authentication was turned on", [
      "Two-factor authentication was just turned on for your account: signing in now also asks for a code from your authenticator app.",
      NOT_YOU,
    ]),

  mfaDisabled: (to: string) =>
    compose(to, "Two-factor authentication was turned off", [
      "Two-factor authentication was just turned off for your account: signing in now needs only the password.",
      NOT_YOU,
    ]),

  accountDeleted: (to: string) =>
    compose(to, "Your account was deleted", [
      "Your account and its personal data were deleted at your request. Its username and address can be used to sign up again.",
      "If this was not you, contact support.",
    ]),
} as const;
