import { createHash, randomBytes } from "node:crypto";

/** RFC 4648 base32 without padding: no 0/1/8/9, so no code is misread as O, I, L or B. */
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const GROUPS = 6;
const GROUP_LENGTH = 4;
export const RECOVERY_CODE_COUNT = 10;

/**
 * Recovery codes are NIST SP 800-63B look-up secrets: 24 base32 characters (120 random bits),
 * shown once as `ABCD-EFGH-…` and stored only as a SHA-256 digest. At 112 bits or more a
 * standard hash suffices, since guessing offline is as hard as guessing online (OWASP ASVS
 * 6.5.2), and the stored form can be looked up directly, in one indexed query.
 */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(GROUPS * GROUP_LENGTH);
    const chars = [...bytes].map((byte) => ALPHABET[byte & 31] as string).join("");
    return (chars.match(new RegExp(`.{${GROUP_LENGTH}}`, "g")) as string[]).join("-");
  });
}

/** The canonical form of what a user typed: case, spaces and dashes do not matter. Undefined when it cannot be a code. */
export function normalizeRecoveryCode(input: string): string | undefined {
  const compact = input.replace(/[\s-]/g, "").toUpperCase();
  return compact.length === GROUPS * GROUP_LENGTH && [...compact].every((c) => ALPHABET.includes(c)) ? compact : undefined;
}

export function hashRecoveryCode(normalized: string): string {
  return createHash("sha256").update(`recovery-code\u0000${normalized}`).digest("hex");
}
