import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { describe, expect, it } from "vitest";
import { ConfigError, EXAMPLE_SECRETS, loadConfig } from "../../src/config.js";
import { GENERIC_MESSAGE } from "../../src/graphql/error-formatter.js";
import { createLogger } from "../../src/logger.js";
import { LOGIN, ME, REFRESH } from "../support/graphql-client.js";
import { STORES } from "../support/stores.js";
import { PRODUCTION_ENV, TEST_ACCESS_SECRET, TEST_REFRESH_SECRET } from "../support/test-config.js";
import { expectNoLeak, expectRefused, expectRefusedOverHttp, postRaw, targetPerSuite } from "./attack-kit.js";

const STRONG = {
  ACCESS_TOKEN_SECRET: TEST_ACCESS_SECRET,
  REFRESH_TOKEN_SECRET: TEST_REFRESH_SECRET,
  JWT_ISSUER: "https://auth.example.com",
  DATABASE_URL: "postgres://db/auth",
};

/** What `NODE_ENV=production npm start` would make of this environment: the problems, or none. */
function productionProblems(env: Record<string, string | undefined>): string[] {
  const dataDir = mkdtempSync(join(tmpdir(), "auth-prod-"));
  try {
    loadConfig({ ...PRODUCTION_ENV, ...env }, { dataDir, warn: () => {} });
    return [];
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  } finally {
    // Production never generates or reads development secrets.
    expect(readdirSync(dataDir)).toEqual([]);
  }
}

describe("production start with weak secrets (ASVS 13.3.1, NIST SP 800-63B §3.1.1.2)", () => {
  it("starts with strong secrets (control for the refusals below)", () => {
    expect(productionProblems(STRONG)).toEqual([]);
  });

  it("refuses missing secrets, naming each one (ASVS 13.3.1)", () => {
    const problems = productionProblems({});
    expect(problems.some((p) => p.startsWith("ACCESS_TOKEN_SECRET: missing"))).toBe(true);
    expect(problems.some((p) => p.startsWith("REFRESH_TOKEN_SECRET: missing"))).toBe(true);
  });

  it("refuses secrets shorter than 32 bytes, counted in bytes (RFC 7518 §3.2)", () => {
    const problems = productionProblems({ ACCESS_TOKEN_SECRET: "x".repeat(31), REFRESH_TOKEN_SECRET: "short" });
    expect(problems.filter((p) => /shorter than 32 bytes/.test(p))).toHaveLength(2);
  });

  it("refuses the example values from .env.example (ASVS 13.3.1)", () => {
    const problems = productionProblems({ ...EXAMPLE_SECRETS });
    expect(problems.filter((p) => /example value/.test(p))).toHaveLength(2);
  });

  it("refuses a weak previous HS256 secret kept for rotation (RFC 7518 §3.2)", () => {
    expect(productionProblems({ ...STRONG, ACCESS_TOKEN_PREVIOUS_SECRETS: "old" }).join("\n")).toMatch(/ACCESS_TOKEN_PREVIOUS_SECRETS/);
  });

  it("refuses ES256 and RS256 without a private key (ASVS 13.3.1)", () => {
    for (const algorithm of ["ES256", "RS256"]) {
      expect(productionProblems({ ...STRONG, JWT_ALGORITHM: algorithm }).join("\n")).toMatch(/^JWT_PRIVATE_KEY: missing/m);
    }
  });
});

describe.each(STORES)("production mode answers on $name", (kind) => {
  const logLines: string[] = [];
  const target = targetPerSuite(kind, { logger: createLogger("error", { write: (line: string) => void logLines.push(line) }) });

  it("answers a syntax error with 400 GRAPHQL_PARSE_FAILED and no stack (ASVS 16.5.1)", async () => {
    const refused = await expectRefusedOverHttp(await postRaw(target.server, JSON.stringify({ query: "{ me " })));
    expect(refused).toMatchObject({ status: 400, code: "GRAPHQL_PARSE_FAILED" });
    expect(refused.body.errors[0].extensions.stacktrace).toBeUndefined();
  });

  it("keeps introspection and field suggestions off (ASVS 4.3.2)", async () => {
    for (const query of ["{ __schema { types { name } } }", '{ __type(name: "User") { fields { name } } }']) {
      const refused = await expectRefusedOverHttp(await postRaw(target.server, JSON.stringify({ query })));
      expect(refused).toMatchObject({ status: 400, code: "GRAPHQL_VALIDATION_FAILED" });
    }
    const typo = await expectRefusedOverHttp(await postRaw(target.server, JSON.stringify({ query: "{ mee { id } }" })));
    expect(JSON.stringify(typo.body)).not.toMatch(/Did you mean/);
  });

  it("serves no Sandbox landing page to a browser (ASVS 13.4.2)", async () => {
    const response = await fetch(`${target.server.url}/graphql`, { headers: { accept: "text/html" } });
    const text = await response.text();
    expect(response.headers.get("content-type") ?? "").not.toMatch(/html/);
    expect(text).not.toMatch(/<html|sandbox|apollographql\.com/i);
    expect(response.headers.get("x-powered-by")).toBeNull();
  });

  it("masks a store failure as INTERNAL_SERVER_ERROR with the generic message, the detail only in the log (ASVS 16.5.1)", async () => {
    const { db } = target.server.app.store;
    await sql`drop table sessions`.execute(db);
    for (const [query, variables, token] of [
      [LOGIN, { input: { username: target.victim.username, password: target.victim.password } }, undefined],
      [REFRESH, undefined, ""],
      [ME, undefined, target.victim.client.accessToken],
    ] as const) {
      const response = await target.victim.client.request(query, variables, token === undefined ? {} : { token });
      const text = JSON.stringify(response.body);
      expectNoLeak(text);
      expect(text).not.toMatch(/sessions|no such table|does not exist/i);
      if (query === ME) continue; // me reads only users, which is still there
      expect(expectRefused(response).code, query).toBe("INTERNAL_SERVER_ERROR");
      expect(response.body.errors?.[0]?.message).toBe(GENERIC_MESSAGE);
    }
    expect(logLines.join("\n")).toMatch(/no such table|does not exist/);
  });
});
