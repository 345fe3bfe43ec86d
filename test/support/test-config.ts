import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Config, loadConfig } from "../../src/config.js";

export const TEST_ACCESS_SECRET = "test-access-secret-0123456789abcdef-0123456789";
export const TEST_REFRESH_SECRET = "test-refresh-secret-0123456789abcdef-012345678";

/** The environment every test server starts from, in this process or its own; a test's settings go on top. */
export const TEST_ENV: Readonly<Record<string, string>> = {
  NODE_ENV: "test",
  LOG_LEVEL: "silent",
  ACCESS_TOKEN_SECRET: TEST_ACCESS_SECRET,
  REFRESH_TOKEN_SECRET: TEST_REFRESH_SECRET,
  // Production refuses to start without one; test servers in production mode need it too.
  JWT_ISSUER: "http://localhost:4000",
  // Tests drive many logins from one address; the brute-force suite sets its own limits.
  LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "100000",
  SIGNUP_MAX_PER_IP_PER_HOUR: "100000",
  REFRESH_MAX_PER_IP_PER_MINUTE: "100000",
  LOGIN_MAX_PER_IP_PER_MINUTE: "100000",
};

/**
 * What a production start needs besides secrets: an SMTP server (production refuses to start
 * without one). Nothing listens on this port, so mail queued by such a test just waits.
 */
export const PRODUCTION_ENV: Readonly<Record<string, string>> = { NODE_ENV: "production", SMTP_URL: "smtp://127.0.0.1:9" };

/** A Config as `npm start` would build it, from a test's own environment and nothing else. */
export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({ ...TEST_ENV, ...env }, { dataDir: mkdtempSync(join(tmpdir(), "auth-config-")), warn: () => {} });
}
