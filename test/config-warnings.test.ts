import { describe, expect, it } from "vitest";
import { browserWarnings, unknownVariableWarnings } from "../src/config-warnings.js";
import { isCrossSite } from "../src/http/same-site.js";
import { PRODUCTION_ENV, TEST_ENV, testConfig } from "./support/test-config.js";

/** What a shell, a container runtime, npm, CI and the test tools typically set beside our settings. */
const ORDINARY_ENVIRONMENT = Object.fromEntries(
  [
    "PATH HOME HOSTNAME USER SHELL TERM LANG PWD OLDPWD LOGNAME TMPDIR TZ MAIL DEBUG EDITOR DISPLAY COLORTERM FORCE_COLOR CI",
    "NODE_OPTIONS NODE_PATH NODE_EXTRA_CA_CERTS NODE_VERSION NODE_DEBUG YARN_VERSION INIT_CWD npm_config_cache npm_lifecycle_event",
    "HTTP_PROXY HTTPS_PROXY NO_PROXY SSH_AUTH_SOCK XDG_RUNTIME_DIR KUBERNETES_SERVICE_HOST KUBERNETES_PORT GITHUB_ACTIONS",
    "PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE REDIS_PASSWORD VITEST VITEST_POOL_ID TEST_DATABASE_URL TEST_REDIS_URL USER_PASSWORD",
  ]
    .join(" ")
    .split(" ")
    .map((name) => [name, "x"]),
);

describe("unknown environment variables close to a setting", () => {
  it.each([
    ["CORS_ORIGIN", "CORS_ORIGINS"],
    ["DATABASE_URI", "DATABASE_URL"],
    ["cors_origins", "CORS_ORIGINS"],
    ["ACESS_TOKEN_TTL", "ACCESS_TOKEN_TTL"],
    ["ACESS_TOKN_TTL", "ACCESS_TOKEN_TTL"],
    ["HSOT", "HOST"],
    ["REFRESH_TOKEN_SECERT", "REFRESH_TOKEN_SECRET"],
  ])("warns that %s is ignored and names %s (regression: a misspelt setting was silently ignored)", (name, meant) => {
    expect(unknownVariableWarnings({ [name]: "x" })).toEqual([`${name} is not a setting and is ignored; did you mean ${meant}?`]);
  });

  it("warns about an unknown name with one of our prefixes even when no setting is close", () => {
    expect(unknownVariableWarnings({ JWT_SECRET: "x", COOKIE_SAME_SITE_MODE: "x" })).toEqual([
      "COOKIE_SAME_SITE_MODE is not a setting and is ignored; docs/settings.md lists them all",
      "JWT_SECRET is not a setting and is ignored; docs/settings.md lists them all",
    ]);
  });

  it("says nothing about the settings themselves, nor about what shells, runtimes and tools set", () => {
    expect(unknownVariableWarnings({ ...TEST_ENV, CORS_ORIGINS: "", ...ORDINARY_ENVIRONMENT })).toEqual([]);
  });
});

describe("browser settings that load but will not work", () => {
  it("warns in production when CORS_ORIGINS is empty, since no browser can refresh", () => {
    const production = { ...PRODUCTION_ENV, DATABASE_URL: "sqlite::memory:" };
    expect(browserWarnings(testConfig(production))).toEqual([expect.stringMatching(/^CORS_ORIGINS is empty: .*browsers cannot refresh/)]);
    expect(browserWarnings(testConfig({ ...production, CORS_ORIGINS: "https://app.example.com" }))).toEqual([]);
  });

  it("warns in development about a listed origin on another site than the API with a Lax cookie (localhost vs 127.0.0.1)", () => {
    const env = { NODE_ENV: "development", JWT_ISSUER: "http://localhost:4000" };
    const warnings = browserWarnings(testConfig({ ...env, CORS_ORIGINS: "http://127.0.0.1:5173,http://localhost:3000" }));
    expect(warnings).toEqual([
      expect.stringMatching(/^CORS_ORIGINS: http:\/\/127\.0\.0\.1:5173 is on another site .*SameSite=Lax.*COOKIE_SAMESITE=None/),
    ]);
    expect(browserWarnings(testConfig({ ...env, CORS_ORIGINS: "http://127.0.0.1:5173", COOKIE_SAMESITE: "None" }))).toEqual([]);
  });

  it("tells sites apart by scheme and registrable domain, not by port or subdomain", () => {
    expect(isCrossSite("https://app.example.com", "https://api.example.com:8443")).toBe(false);
    expect(isCrossSite("http://localhost:3000", "http://localhost:4000")).toBe(false);
    expect(isCrossSite("http://app.example.com", "https://api.example.com")).toBe(true);
    expect(isCrossSite("https://example.net", "https://example.com")).toBe(true);
    expect(isCrossSite("http://[::1]:3000", "http://localhost:4000")).toBe(true);
  });
});
