import { AuthError, type InputField } from "../errors.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import { isCommonPassword } from "./common-passwords.js";

const USERNAME = new RegExp(`^[A-Za-z0-9_.-]{3,${FIELD_LIMITS.username}}$`);
// A pragmatic address check (WHATWG's "valid e-mail address"), plus the length limit of RFC 5321.
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
// C0 and C1 control characters, DEL included; never valid in a name, address or password.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function refuseControlCharacters(field: InputField, value: string): void {
  if (CONTROL.test(value)) throw AuthError.badInput(field, `${field} must not contain control characters`);
}

/** Login input is checked before any attempt is counted: a malformed request is not a guess. */
export function checkLoginInput(identifier: string, password: string): void {
  // LoginInput names its identifier `username`, whether it holds a name or an email.
  refuseControlCharacters("username", identifier);
  refuseControlCharacters("password", password);
}

export function checkUsername(username: string): string {
  refuseControlCharacters("username", username);
  if (!USERNAME.test(username)) {
    throw AuthError.badInput("username", `username must be 3 to ${FIELD_LIMITS.username} letters, digits, '_', '.' or '-'`);
  }
  return username;
}

export function checkEmail(email: string, field: "email" | "newEmail" = "email"): string {
  refuseControlCharacters(field, email);
  const trimmed = email.trim();
  if (trimmed.length > FIELD_LIMITS.email || !EMAIL.test(trimmed))
    throw AuthError.badInput(field, `${field} must be a valid address of at most ${FIELD_LIMITS.email} characters`);
  return trimmed;
}

/** Case-insensitive key for usernames and emails, used for uniqueness and for login. */
export function identityKey(value: string): string {
  return value.trim().toLowerCase();
}

/**
 * NIST SP 800-63B §3.1.1.2: length in code points after NFKC normalisation, never truncated,
 * no composition rules, refused when common or equal to the account's own identifiers.
 */
export function checkNewPassword(
  password: string,
  options: { field: "password" | "newPassword"; minLength: number; username: string; email: string },
): string {
  const { field, minLength } = options;
  refuseControlCharacters(field, password);
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < minLength || length > FIELD_LIMITS.password) {
    throw AuthError.badInput(field, `${field} must be ${minLength} to ${FIELD_LIMITS.password} characters`);
  }
  if (isCommonPassword(normalized)) throw AuthError.badInput(field, `${field} is too common; choose another`);
  const lowered = normalized.toLowerCase();
  if (lowered === identityKey(options.username) || lowered === identityKey(options.email)) {
    throw AuthError.badInput(field, `${field} must not be the username or email`);
  }
  return normalized;
}

/** NFKC so that the same password typed on different keyboards hashes the same (NIST SP 800-63B §3.1.1.2). */
export function normalizePassword(password: string): string {
  return password.normalize("NFKC");
}
