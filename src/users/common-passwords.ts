import { dictionary } from "@zxcvbn-ts/language-common";

/**
 * About 49,000 of the most common passwords, from zxcvbn-ts (a maintained package), lower-cased.
 * NIST SP 800-63B §3.1.1.2 asks verifiers to refuse passwords found in such lists.
 */
let commonPasswords: Set<string> | undefined;

export function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set((dictionary["passwords-common"] as string[]).map((p) => p.toLowerCase()));
  return commonPasswords.has(password.toLowerCase());
}
