import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { describe, expect, it } from "vitest";
import { CONFIG_VARIABLES, type Config, ConfigError, EXAMPLE_SECRETS, loadConfig, loadStoreConfig } from "../src/config.js";

const STRONG_ACCESS = "a-strong-access-secret-of-more-than-32-bytes-0001";
const STRONG_REFRESH = "a-strong-refresh-secret-of-more-than-32-bytes-0002";
const SECRETS = { ACCESS_TOKEN_SECRET: STRONG_ACCESS, REFRESH_TOKEN_SECRET: STRONG_REFRESH };
/** Production with the settings it refuses to default (attacks/unsafe-deployment.test.ts covers those). */
const PRODUCTION = {
  NODE_ENV: "production",
  JWT_ISSUER: "https://auth.example.com",
  DATABASE_URL: "postgres://db/auth",
  SMTP_URL: "smtp://mail.example.test:587",
};

const tempDir = () => mkdtempSync(join(tmpdir(), "auth-config-test-"));

function load(env: Record<string, string | undefined>, dataDir = tempDir()) {
  const warnings: string[] = [];
  const config = loadConfig(env, { dataDir, warn: (line) => warnings.push(line) });
  return { config, warnings, dataDir };
}

/** The lines a refused configuration reports; fails the test when the configuration loads. */
function problemsOf(env: Record<string, string | undefined>, dataDir = tempDir()): readonly string[] {
  try {
    load(env, dataDir);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`configuration was accepted: ${JSON.stringify(env)}`);
}

describe("bad values stop the start with one line naming the variable and what it accepts", () => {
  const cases: readonly (readonly [string, string, Record<string, string>?])[] = [
    ["ACCESS_TOKEN_TTL", "banana"],
    ["ACCESS_TOKEN_TTL", "500ms"],
    ["ACCESS_TOKEN_TTL", "-5m"],
    ["REFRESH_TOKEN_TTL", "0"],
    ["SESSION_MAX_AGE", "forever"],
    ["REFRESH_REUSE_GRACE", "soon"],
    ["JWT_CLOCK_TOLERANCE", "a bit"],
    ["LOGIN_BLOCK_DURATION", "1 fortnight"],
    ["NODE_ENV", "staging"],
    ["PORT", "70000"],
    ["PORT", "http"],
    ["HOST", "local host"],
    ["DATABASE_URL", "mysql://db/auth"],
    ["DATABASE_URL", "sqlite:"],
    ["REDIS_URL", "http://127.0.0.1:6379"],
    ["LOG_LEVEL", "loud"],
    ["ALLOW_SIGNUP", "yes"],
    ["ENABLE_INTROSPECTION", "maybe"],
    ["METRICS_ENABLED", "maybe"],
    ["PASSWORD_MIN_LENGTH", "4"],
    ["PASSWORD_MIN_LENGTH", "eight"],
    ["PASSWORD_MIN_LENGTH", "257"],
    ["JWT_ALGORITHM", "none"],
    ["COOKIE_SAMESITE", "sometimes"],
    ["COOKIE_SECURE", "on"],
    ["COOKIE_DOMAIN", "bad domain"],
    ["SMTP_URL", "mail.example.com:587"],
    ["MAIL_FROM", "nobody"],
    ["PASSWORD_RESET_URL", "javascript:alert(1)"],
    ["EMAIL_VERIFICATION_URL", "https://app.example.com/verify#token"],
    ["PASSWORD_RESET_TTL", "soon"],
    ["AUDIT_RETENTION", "soon"],
    ["AUDIT_RETENTION", "90"],
    ["AUDIT_RETENTION", "12h"],
    ["REFRESH_COOKIE_NAME", "refresh;token"],
    ["CORS_ORIGINS", "app.example.com"],
    ["CORS_ORIGINS", "https://app.example.com/login"],
    ["TRUST_PROXY", "banana"],
    ["TRUST_PROXY", "10.0.0.0/99"],
    ["LOGIN_MAX_FAILURES", "0"],
    ["LOGIN_MAX_FAILURES_PER_IP_PER_DAY", "-3"],
    ["SIGNUP_MAX_PER_IP_PER_HOUR", "1.5"],
    ["REFRESH_MAX_PER_IP_PER_MINUTE", "many"],
    ["JWT_PRIVATE_KEY_FILE", "/nonexistent/key.pem", { JWT_ALGORITHM: "ES256" }],
    ["JWT_PRIVATE_KEY_FILE", "/nonexistent/key.pem", { JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: "inline" }],
    ["JWT_PRIVATE_KEY", "", { JWT_ALGORITHM: "RS256" }],
    ["JWT_ALGORITHM", "HS256", { JWT_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\\nx\\n-----END PRIVATE KEY-----" }],
    ["REFRESH_TOKEN_TTL", "40d", { SESSION_MAX_AGE: "30d" }],
  ];
  const rows = cases.map(([name, value, extra = {}]) => ({ name, value: JSON.stringify(value), env: { ...extra, [name]: value } }));
  it.each(rows)("$name=$value is refused with one line naming it", ({ name, env }) => {
    const problems = problemsOf({ ...SECRETS, ...env });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(new RegExp(`^${name}: \\S`));
  });

  it("reports every bad variable at once instead of stopping at the first", () => {
    const problems = problemsOf({ ...SECRETS, ACCESS_TOKEN_TTL: "banana", PORT: "x", CORS_ORIGINS: "nope" });
    expect(problems.map((line) => line.split(":")[0]).sort()).toEqual(["ACCESS_TOKEN_TTL", "CORS_ORIGINS", "PORT"]);
  });

  it("says what a duration accepts, so ACCESS_TOKEN_TTL=banana is self-explaining", () => {
    expect(problemsOf({ ...SECRETS, ACCESS_TOKEN_TTL: "banana" })).toEqual([
      "ACCESS_TOKEN_TTL: accepts a duration of at least 1s such as 30s, 10m or 1d",
    ]);
  });

  it("says AUDIT_RETENTION takes at least a day, so a bare 90 (seconds) is not mistaken for 90 days", () => {
    expect(problemsOf({ ...SECRETS, AUDIT_RETENTION: "90" })).toEqual([
      "AUDIT_RETENTION: accepts a duration of at least 1d such as 30d, 90d or 365d",
    ]);
  });

  it("does not generate development secrets when the start is refused anyway", () => {
    const dataDir = tempDir();
    problemsOf({ ACCESS_TOKEN_TTL: "banana" }, dataDir);
    expect(existsSync(join(dataDir, "dev-secrets.json"))).toBe(false);
  });
});

describe("values that are accepted", () => {
  it("reads durations in the ms form, bare numbers as seconds, and allows a zero tolerance and grace", () => {
    const { config } = load({
      ...SECRETS,
      ACCESS_TOKEN_TTL: "15m",
      REFRESH_TOKEN_TTL: "90",
      JWT_CLOCK_TOLERANCE: "0",
      REFRESH_REUSE_GRACE: "0s",
    });
    expect(config.jwt.accessTokenTtlSeconds).toBe(900);
    expect(config.refresh.idleTtlMs).toBe(90_000);
    expect(config.jwt.clockToleranceSeconds).toBe(0);
    expect(config.refresh.reuseGraceMs).toBe(0);
  });

  it("keeps audit events 90 days unless AUDIT_RETENTION says otherwise", () => {
    expect(load(SECRETS).config.auditRetentionMs).toBe(90 * 24 * 3_600_000);
    expect(load({ ...SECRETS, AUDIT_RETENTION: "1y" }).config.auditRetentionMs).toBe(365.25 * 24 * 3_600_000);
  });

  it("treats a blank value as unset, so an empty line in .env keeps the default", () => {
    const { config } = load({ ...SECRETS, PORT: "", ACCESS_TOKEN_TTL: " ", NODE_ENV: "", COOKIE_SAMESITE: "" });
    expect(config.port).toBe(4000);
    expect(config.jwt.accessTokenTtlSeconds).toBe(600);
    expect(config.env).toBe("development");
    expect(config.cookie.sameSite).toBe("Lax");
  });

  it("accepts PORT=0 so the OS can pick a port", () => {
    expect(load({ ...SECRETS, PORT: "0" }).config.port).toBe(0);
  });

  it.each([
    ["true", true],
    ["false", false],
    ["2", 2],
    ["loopback, 10.0.0.0/8", "loopback, 10.0.0.0/8"],
    ["192.168.0.0/255.255.0.0,fd00::/8", "192.168.0.0/255.255.0.0,fd00::/8"],
  ] as const)("TRUST_PROXY=%s is passed to Express as %j", (value, expected) => {
    expect(load({ ...SECRETS, TRUST_PROXY: value }).config.trustProxy).toEqual(expected);
  });

  it("returns a frozen configuration, so no module can change a setting after start", () => {
    const { config } = load(SECRETS);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.cookie)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
  });
});

describe("production refuses missing, short or example secrets, one line per problem", () => {
  const production = PRODUCTION;

  it("names both secrets when they are missing", () => {
    const problems = problemsOf(production);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^ACCESS_TOKEN_SECRET: missing/);
    expect(problems[1]).toMatch(/^REFRESH_TOKEN_SECRET: missing/);
  });

  it("refuses secrets shorter than 32 bytes without printing them", () => {
    const problems = problemsOf({ ...production, ACCESS_TOKEN_SECRET: "short-access", REFRESH_TOKEN_SECRET: "x".repeat(31) });
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^ACCESS_TOKEN_SECRET: shorter than 32 bytes/);
    expect(problems[1]).toMatch(/^REFRESH_TOKEN_SECRET: shorter than 32 bytes/);
    expect(problems.join("\n")).not.toContain("short-access");
  });

  it("counts bytes, not characters: 16 two-byte characters are 32 bytes", () => {
    const { config } = load({ ...production, ACCESS_TOKEN_SECRET: "é".repeat(16), REFRESH_TOKEN_SECRET: STRONG_REFRESH });
    expect(config.jwt.secret).toBe("é".repeat(16));
  });

  it("refuses the .env.example values, even in the other slot or as a previous secret", () => {
    const problems = problemsOf({
      ...production,
      ACCESS_TOKEN_SECRET: EXAMPLE_SECRETS.REFRESH_TOKEN_SECRET,
      REFRESH_TOKEN_SECRET: EXAMPLE_SECRETS.ACCESS_TOKEN_SECRET,
      ACCESS_TOKEN_PREVIOUS_SECRETS: `${STRONG_ACCESS}x,${EXAMPLE_SECRETS.REFRESH_TOKEN_SECRET}`,
    });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^ACCESS_TOKEN_SECRET: still the example value/);
    expect(problems[1]).toMatch(/^REFRESH_TOKEN_SECRET: still the example value/);
    expect(problems[2]).toMatch(/^ACCESS_TOKEN_PREVIOUS_SECRETS \(entry 2\): still the example value/);
  });

  it("refuses a refresh secret equal to the access secret, which is shared with resource servers", () => {
    expect(problemsOf({ ...production, ACCESS_TOKEN_SECRET: STRONG_ACCESS, REFRESH_TOKEN_SECRET: STRONG_ACCESS })).toEqual([
      "REFRESH_TOKEN_SECRET: must differ from ACCESS_TOKEN_SECRET and ACCESS_TOKEN_PREVIOUS_SECRETS",
    ]);
  });

  it("asks for a private key instead of ACCESS_TOKEN_SECRET with ES256", () => {
    const problems = problemsOf({ ...production, JWT_ALGORITHM: "ES256", REFRESH_TOKEN_SECRET: STRONG_REFRESH });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^JWT_PRIVATE_KEY: missing/);
  });

  it("never falls back to ./data/dev-secrets.json, even when it holds a valid pair", () => {
    const dataDir = tempDir();
    const file = join(dataDir, "dev-secrets.json");
    writeFileSync(file, JSON.stringify({ ACCESS_TOKEN_SECRET: STRONG_ACCESS, REFRESH_TOKEN_SECRET: STRONG_REFRESH }));
    const before = readFileSync(file, "utf8");
    const warnings: string[] = [];
    expect(() => loadConfig(production, { dataDir, warn: (line) => warnings.push(line) })).toThrow(ConfigError);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(warnings).toEqual([]);
  });

  it("refuses to start without SMTP_URL, in one line naming it, since reset links must reach their users", () => {
    expect(problemsOf({ ...SECRETS, ...PRODUCTION, SMTP_URL: undefined })).toEqual([expect.stringMatching(/^SMTP_URL: missing; /)]);
  });

  it("starts with strong secrets and writes nothing to the data folder", () => {
    const dataDir = join(tempDir(), "data");
    const { config, warnings } = load({ ...production, ...SECRETS }, dataDir);
    expect(config.isProduction).toBe(true);
    expect(config.enableIntrospection).toBe(false);
    expect(warnings).toEqual([]);
    expect(existsSync(dataDir)).toBe(false);
  });
});

describe("development secrets are generated once and reused", () => {
  it("generates both into the data folder with one warning line, then reuses them silently", () => {
    const dataDir = join(tempDir(), "data");
    const first = load({}, dataDir);
    expect(first.warnings).toHaveLength(1);
    expect(first.warnings[0]).toContain(join(dataDir, "dev-secrets.json"));
    const file = join(dataDir, "dev-secrets.json");
    expect(statSync(file).mode & 0o077).toBe(0);
    const stored = JSON.parse(readFileSync(file, "utf8"));
    expect(first.config.jwt.secret).toBe(stored.ACCESS_TOKEN_SECRET);
    expect(first.config.refresh.secret).toBe(stored.REFRESH_TOKEN_SECRET);
    expect(Buffer.byteLength(stored.ACCESS_TOKEN_SECRET)).toBeGreaterThanOrEqual(32);
    expect(stored.ACCESS_TOKEN_SECRET).not.toBe(stored.REFRESH_TOKEN_SECRET);

    const second = load({}, dataDir);
    expect(second.warnings).toEqual([]);
    expect(second.config.jwt.secret).toBe(first.config.jwt.secret);
    expect(second.config.refresh.secret).toBe(first.config.refresh.secret);
  });

  it("uses secrets from the environment and generates nothing when both are set", () => {
    const dataDir = tempDir();
    const { config, warnings } = load(SECRETS, dataDir);
    expect(config.jwt.secret).toBe(STRONG_ACCESS);
    expect(warnings).toEqual([]);
    expect(existsSync(join(dataDir, "dev-secrets.json"))).toBe(false);
  });

  it("fills only the missing secret from the generated pair", () => {
    const { config } = load({ ACCESS_TOKEN_SECRET: STRONG_ACCESS });
    expect(config.jwt.secret).toBe(STRONG_ACCESS);
    expect(config.refresh.secret).not.toBe(STRONG_ACCESS);
  });

  it("replaces an unreadable secrets file instead of failing the start", () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, "dev-secrets.json"), "{ not json");
    const { config, warnings } = load({}, dataDir);
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dataDir, "dev-secrets.json"), "utf8")).ACCESS_TOKEN_SECRET).toBe(config.jwt.secret);
  });
});

describe("refresh cookie rules (RFC 6265bis §4.1.3, the contract's cookie section)", () => {
  const cookie = (env: Record<string, string>): Config["cookie"] => load({ ...SECRETS, ...env }).config.cookie;

  it("development: refresh_token on the GraphQL path, Lax, not Secure", () => {
    expect(cookie({})).toEqual({ name: "refresh_token", sameSite: "Lax", secure: false, domain: undefined, path: "/graphql" });
  });

  it("production: __Host-refresh_token, Secure, Path=/", () => {
    expect(cookie(PRODUCTION)).toEqual({
      name: "__Host-refresh_token",
      sameSite: "Lax",
      secure: true,
      domain: undefined,
      path: "/",
    });
  });

  it("SameSite=None forces Secure; the value is read ignoring case", () => {
    expect(cookie({ COOKIE_SAMESITE: "none" })).toMatchObject({ sameSite: "None", secure: true });
    expect(cookie({ COOKIE_SAMESITE: "STRICT" })).toMatchObject({ sameSite: "Strict", secure: false });
  });

  it("COOKIE_SECURE=true sets Secure in development; a custom production name keeps the GraphQL path", () => {
    expect(cookie({ COOKIE_SECURE: "true" }).secure).toBe(true);
    expect(cookie({ ...PRODUCTION, REFRESH_COOKIE_NAME: "rt" })).toMatchObject({ name: "rt", secure: true, path: "/graphql" });
  });

  it("a __Host- or __Secure- name forces Secure in development too", () => {
    expect(cookie({ REFRESH_COOKIE_NAME: "__Host-rt" })).toMatchObject({ secure: true, path: "/" });
    expect(cookie({ REFRESH_COOKIE_NAME: "__Secure-rt" })).toMatchObject({ secure: true, path: "/graphql" });
  });

  it("COOKIE_DOMAIN is carried, and refused with a __Host- name", () => {
    expect(cookie({ COOKIE_DOMAIN: "example.com" }).domain).toBe("example.com");
    expect(problemsOf({ ...SECRETS, ...PRODUCTION, COOKIE_DOMAIN: "example.com" })).toEqual([
      "COOKIE_DOMAIN: must be unset when REFRESH_COOKIE_NAME starts with __Host-",
    ]);
  });

  it.each([
    [{ COOKIE_SAMESITE: "None" }, "with COOKIE_SAMESITE=None"],
    [{ REFRESH_COOKIE_NAME: "__Host-rt" }, "with the cookie name __Host-rt"],
    [PRODUCTION, "in production"],
  ])("COOKIE_SECURE=false is refused rather than silently ignored (%j)", (env, reason) => {
    const problems = problemsOf({ ...SECRETS, ...env, COOKIE_SECURE: "false" });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^COOKIE_SECURE: /);
    expect(problems[0]).toContain(reason);
  });
});

describe(".env.example documents every setting", () => {
  const text = readFileSync(new URL("../.env.example", import.meta.url), "utf8");
  const listed = [...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]);
  const active = parseEnv(text);

  it("lists every variable the configuration reads, and none it does not", () => {
    expect([...new Set(listed)].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });

  it("shows exactly the EXAMPLE_SECRETS values, which production then refuses", () => {
    for (const [name, value] of Object.entries(EXAMPLE_SECRETS)) expect(active[name]).toBe(value);
    const problems = problemsOf({ ...active, NODE_ENV: "production", SMTP_URL: "smtp://mail.example.test:587" });
    expect(problems).toEqual([
      expect.stringMatching(/^ACCESS_TOKEN_SECRET: still the example value/),
      expect.stringMatching(/^REFRESH_TOKEN_SECRET: still the example value/),
    ]);
  });

  it("shows the real defaults: its values load to the same configuration as an empty environment", () => {
    const { ACCESS_TOKEN_SECRET: _a, REFRESH_TOKEN_SECRET: _r, ...withoutSecrets } = active;
    const dataDir = tempDir();
    expect(load({ ...withoutSecrets, ...SECRETS }, dataDir).config).toEqual(load(SECRETS, dataDir).config);
  });
});

describe("loadStoreConfig, for migrate and user:create", () => {
  it("needs no token secrets, even in production, so a migration job holds only DATABASE_URL", () => {
    expect(loadStoreConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://db/auth" })).toEqual({
      env: "production",
      databaseUrl: "postgres://db/auth",
      passwordMinLength: 8,
    });
  });

  it("reports a bad DATABASE_URL or PASSWORD_MIN_LENGTH and ignores settings it does not use", () => {
    expect(() => loadStoreConfig({ DATABASE_URL: "mysql://x", PASSWORD_MIN_LENGTH: "3", ACCESS_TOKEN_TTL: "banana" })).toThrow(
      expect.objectContaining({ problems: [expect.stringMatching(/^DATABASE_URL: /), expect.stringMatching(/^PASSWORD_MIN_LENGTH: /)] }),
    );
    expect(loadStoreConfig({ ACCESS_TOKEN_TTL: "banana" }).databaseUrl).toBe("sqlite:./data/auth.db");
  });
});
