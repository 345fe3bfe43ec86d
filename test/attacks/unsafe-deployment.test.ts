import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { isIP } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig, loadStoreConfig } from "../../src/config.js";
import { DEV_SECRETS_FILE } from "../../src/dev-secrets.js";
import { LOGIN, SESSIONS } from "../support/graphql-client.js";
import { serverPerSuite } from "../support/server-fixture.js";
import { SQLITE } from "../support/stores.js";
import { TEST_ACCESS_SECRET, TEST_REFRESH_SECRET } from "../support/test-config.js";
import { signUpUser, startTestServer } from "../support/test-server.js";

/** Issue 10, findings 5 and 6: production accepted unsafe settings, and the database was world-readable. */

const SAFE_PRODUCTION = {
  NODE_ENV: "production",
  ACCESS_TOKEN_SECRET: TEST_ACCESS_SECRET,
  REFRESH_TOKEN_SECRET: TEST_REFRESH_SECRET,
  JWT_ISSUER: "https://auth.example.com",
  DATABASE_URL: "postgres://db.internal/auth",
  SMTP_URL: "smtp://mail.internal:587",
};

function problemsOf(env: Record<string, string | undefined>): readonly string[] {
  try {
    loadConfig(env, { dataDir: mkdtempSync(join(tmpdir(), "auth-unsafe-")), warn: () => {} });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe("finding 5: production refuses unsafe settings, one line each (ASVS 13.1.1, CWE-1188)", () => {
  it("starts with an issuer, a store and a hop count (control)", () => {
    expect(problemsOf({ ...SAFE_PRODUCTION, TRUST_PROXY: "1" })).toEqual([]);
  });

  it("refuses a missing JWT_ISSUER instead of signing as http://localhost:4000", () => {
    expect(problemsOf({ ...SAFE_PRODUCTION, JWT_ISSUER: undefined })).toEqual([expect.stringMatching(/^JWT_ISSUER: missing; /)]);
  });

  it("refuses a missing DATABASE_URL instead of falling back to ./data/auth.db", () => {
    expect(problemsOf({ ...SAFE_PRODUCTION, DATABASE_URL: undefined })).toEqual([expect.stringMatching(/^DATABASE_URL: missing; /)]);
    // The migration and user-creation commands too.
    expect(() => loadStoreConfig({ NODE_ENV: "production" })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^DATABASE_URL: missing; /)] }),
    );
  });

  it("refuses TRUST_PROXY=true, which lets any client pick its IP (CWE-348)", () => {
    expect(problemsOf({ ...SAFE_PRODUCTION, TRUST_PROXY: "true" })).toEqual([expect.stringMatching(/^TRUST_PROXY: true trusts every hop/)]);
  });

  it("keeps the development defaults outside production", () => {
    const { NODE_ENV: _n, JWT_ISSUER: _i, DATABASE_URL: _d, ...rest } = SAFE_PRODUCTION;
    const config = loadConfig({ ...rest, NODE_ENV: "test", TRUST_PROXY: "true" }, { dataDir: mkdtempSync(join(tmpdir(), "a-")) });
    expect(config).toMatchObject({ databaseUrl: "sqlite:./data/auth.db", trustProxy: true, jwt: { issuer: "http://localhost:4000" } });
  });
});

describe("finding 5: the recorded client IP is always an address, whatever X-Forwarded-For says (CWE-348, ASVS 16.2.1)", () => {
  const fixture = serverPerSuite(SQLITE, { env: { TRUST_PROXY: "1" } });

  it("falls back to the peer's address for an entry that is no address, and keeps a real one", async () => {
    const { server } = fixture;
    const { username, password } = await signUpUser(server.client());
    for (const [forwarded, expected] of [
      ["<img src=x onerror=alert(1)>", "127.0.0.1"],
      ["not-an-ip", "127.0.0.1"],
      ["203.0.113.9", "203.0.113.9"],
    ] as const) {
      const client = server.client();
      const login = await client.request(LOGIN, { input: { username, password } }, { headers: { "x-forwarded-for": forwarded } });
      client.accessToken = login.body.data.login.accessToken;
      const sessions = await client.request(SESSIONS);
      const current = sessions.body.data.sessions.find((s: { current: boolean }) => s.current);
      expect(current.ipAddress, forwarded).toBe(expected);
    }
    const { db } = server.app.store;
    const recorded = await db.selectFrom("auth_events").select("ip_address").where("ip_address", "is not", null).execute();
    expect(recorded.length).toBeGreaterThan(0);
    for (const row of recorded) expect(isIP(row.ip_address ?? "")).not.toBe(0);
  });
});

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe("finding 6: files the service creates are its owner's alone (ASVS 13.3.2, CWE-276)", () => {
  it("creates the SQLite folder 0700 and the database, its WAL and shared-memory files 0600", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "auth-modes-")), "nested", "data");
    const server = await startTestServer({ databaseUrl: `sqlite:${join(dir, "auth.db")}` });
    try {
      await signUpUser(server.client());
      expect(modeOf(dir).toString(8)).toBe("700");
      const files = readdirSync(dir);
      expect(files).toEqual(expect.arrayContaining(["auth.db", "auth.db-wal", "auth.db-shm"]));
      for (const file of files) expect(`${file} ${modeOf(join(dir, file)).toString(8)}`).toBe(`${file} 600`);
    } finally {
      await server.stop();
    }
  });

  it("writes development secrets 0600 in a 0700 folder", () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), "auth-modes-")), "data");
    loadConfig({ NODE_ENV: "development" }, { dataDir, warn: () => {} });
    expect(modeOf(dataDir).toString(8)).toBe("700");
    expect(modeOf(join(dataDir, DEV_SECRETS_FILE)).toString(8)).toBe("600");
  });
});
