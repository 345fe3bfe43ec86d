import { randomBytes } from "node:crypto";
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export interface DevSecrets {
  readonly ACCESS_TOKEN_SECRET: string;
  readonly REFRESH_TOKEN_SECRET: string;
}

export const DEV_SECRETS_FILE = "dev-secrets.json";

/** The secrets kept in `file`, or undefined when it is missing, unreadable or incomplete. */
function readStored(file: string): DevSecrets | undefined {
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as Partial<Record<keyof DevSecrets, unknown>>;
    const { ACCESS_TOKEN_SECRET: access, REFRESH_TOKEN_SECRET: refresh } = stored;
    if (typeof access === "string" && access.length >= 32 && typeof refresh === "string" && refresh.length >= 32) {
      return { ACCESS_TOKEN_SECRET: access, REFRESH_TOKEN_SECRET: refresh };
    }
  } catch {
    // Missing or not JSON: generate a fresh pair below.
  }
  return undefined;
}

/**
 * Development only: the secrets generated on the first start and kept under the data folder
 * (git-ignored), so restarts keep sessions and tokens valid. Says so in one warning line when it
 * generates them. Never called in production (see loadConfig).
 */
export function developmentSecrets(dataDir: string, warn: (line: string) => void): DevSecrets {
  const file = resolve(dataDir, DEV_SECRETS_FILE);
  const stored = readStored(file);
  if (stored) return stored;
  const secrets: DevSecrets = {
    ACCESS_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    REFRESH_TOKEN_SECRET: randomBytes(32).toString("base64url"),
  };
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Written whole to a temporary file, then linked into place: link() fails when the name exists,
  // so when two processes start at once on a fresh folder one wins and the other reads its complete
  // file, and both sign and verify with the same keys.
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  try {
    linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const winner = readStored(file);
    if (winner) {
      rmSync(temporary, { force: true });
      return winner;
    }
    // A file that holds no usable pair (hand-edited, truncated): replace it.
    renameSync(temporary, file);
  }
  rmSync(temporary, { force: true });
  warn(`warning: generated development secrets in ${file}; set ACCESS_TOKEN_SECRET and REFRESH_TOKEN_SECRET before production`);
  return secrets;
}
