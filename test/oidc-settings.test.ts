import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.js";

const SECRETS = {
  ACCESS_TOKEN_SECRET: "a-strong-access-secret-of-more-than-32-bytes-0001",
  REFRESH_TOKEN_SECRET: "a-strong-refresh-secret-of-more-than-32-bytes-0002",
};
const PRODUCTION = { ...SECRETS, NODE_ENV: "production", JWT_ISSUER: "https://auth.example.com", DATABASE_URL: "postgres://db/auth" };
const GOOGLE = {
  OIDC_PROVIDERS: "Google",
  OIDC_GOOGLE_ISSUER: "https://accounts.google.com",
  OIDC_GOOGLE_CLIENT_ID: "client-id",
  OIDC_GOOGLE_CLIENT_SECRET: "client-secret",
  OIDC_REDIRECT_URIS: "https://app.example.com/auth/callback, https://app.example.com/other",
};

function load(env: Record<string, string>) {
  return loadConfig(env, { dataDir: mkdtempSync(join(tmpdir(), "oidc-config-")), warn: () => {} });
}

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("configuration was accepted");
}

describe("OpenID Connect settings", () => {
  it("reads each listed provider's variables, the id lower-cased and the name defaulting to it", () => {
    const { oidc } = load({ ...SECRETS, ...GOOGLE });
    expect(oidc.providers).toEqual([
      { id: "google", name: "google", issuer: "https://accounts.google.com", clientId: "client-id", clientSecret: "client-secret" },
    ]);
    expect(oidc.redirectUris).toEqual(["https://app.example.com/auth/callback", "https://app.example.com/other"]);
    expect(oidc.httpTimeoutMs).toBe(5000);
    expect(load(SECRETS).oidc.providers).toEqual([]);
  });

  it("names each missing provider variable and a missing OIDC_REDIRECT_URIS, one line each", () => {
    const problems = problemsOf({ ...SECRETS, OIDC_PROVIDERS: "keycloak" });
    expect(problems).toEqual([
      expect.stringMatching(/^OIDC_KEYCLOAK_ISSUER: missing/),
      expect.stringMatching(/^OIDC_KEYCLOAK_CLIENT_ID: missing/),
      expect.stringMatching(/^OIDC_KEYCLOAK_CLIENT_SECRET: missing/),
      expect.stringMatching(/^OIDC_REDIRECT_URIS: missing/),
    ]);
  });

  it("refuses a malformed id, a duplicate, a redirect URI with a fragment and a relative one", () => {
    const problems = problemsOf({
      ...SECRETS,
      ...GOOGLE,
      OIDC_PROVIDERS: "google,google,bad-id",
      OIDC_REDIRECT_URIS: "https://a.example/cb#x,/cb",
    });
    expect(problems).toEqual([
      expect.stringMatching(/^OIDC_PROVIDERS: "google" is listed twice/),
      expect.stringMatching(/^OIDC_PROVIDERS: "bad-id" is not an id/),
      expect.stringMatching(/^OIDC_REDIRECT_URIS: must not carry a fragment/),
      expect.stringMatching(/^OIDC_REDIRECT_URIS: not a URL/),
    ]);
  });

  it("accepts http:// issuers and redirect URIs outside production and refuses them in production", () => {
    const local = { OIDC_GOOGLE_ISSUER: "http://127.0.0.1:8080/realms/x", OIDC_REDIRECT_URIS: "http://localhost:3000/cb" };
    expect(load({ ...SECRETS, ...GOOGLE, ...local }).oidc.providers[0]?.issuer).toBe("http://127.0.0.1:8080/realms/x");
    const problems = problemsOf({ ...PRODUCTION, ...GOOGLE, ...local }).filter((line) => line.startsWith("OIDC_"));
    expect(problems).toEqual([
      expect.stringMatching(/^OIDC_GOOGLE_ISSUER: production requires https:\/\//),
      expect.stringMatching(/^OIDC_REDIRECT_URIS: production requires https:\/\//),
    ]);
  });
});
