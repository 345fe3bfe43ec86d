import { dictionary } from "@zxcvbn-ts/language-common";

/**
 * About 49,000 of the most common passwords, from zxcvbn-ts (a maintained package), all lower-case.
 * NIST SP 800-63B §3.1.1.2 asks verifiers to refuse passwords found in such lists. Kept as one
 * sorted array searched by halves: a Set of them held 1.7 MB more heap (issue 8), and 16 string
 * comparisons are nothing beside the argon2 hash that follows every check.
 */
let sorted: readonly string[] | undefined;

export function isCommonPassword(password: string): boolean {
  sorted ??= (dictionary["passwords-common"] as string[]).map((p) => p.toLowerCase()).sort();
  const wanted = password.toLowerCase();
  let low = 0;
  let high = sorted.length - 1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    const entry = sorted[middle] as string;
    if (entry === wanted) return true;
    if (entry < wanted) low = middle + 1;
    else high = middle - 1;
  }
  return false;
}
