import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { expectRefusedOverHttp, storeCounts } from "./attacks/attack-kit.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";

const APP_ORIGIN = "http://app.example.com:3000";
const QUERY = JSON.stringify({ query: "{ __typename }" });

/**
 * Refusals a newcomer meets in the first hour say what to change, in the usual JSON error shape,
 * instead of Apollo's CSRF paragraph (regression: both answered 400 with that paragraph).
 */
describe.each(STORES)("refusals that say what to change, on $name", (kind) => {
  const lines: Record<string, unknown>[] = [];
  const fixture = serverPerSuite(kind, {
    env: { CORS_ORIGINS: APP_ORIGIN },
    logger: createLogger("warn", { write: (line: string) => void lines.push(JSON.parse(line)) }),
  });

  const preflight = (origin: string) =>
    fetch(`${fixture.server.url}/graphql`, {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });

  it("answers a preflight from an origin not in CORS_ORIGINS with a JSON 403 naming the setting, and logs the origin outside production", async () => {
    const response = await preflight("http://localhost.example:5173");
    expect(response.headers.get("access-control-allow-origin")).toBeNull();
    const refused = await expectRefusedOverHttp(response);
    expect(refused.status).toBe(403);
    expect(refused.code).toBe("FORBIDDEN");
    expect(refused.body.errors[0].message).toBe("Origin not allowed; add it to CORS_ORIGINS");
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, origin: "http://localhost.example:5173" }));
  });

  it("still answers a preflight from a listed origin with CORS headers and no body", async () => {
    const response = await preflight(APP_ORIGIN);
    expect(response.status).toBe(204);
    expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
  });

  it("tells a POST without content-type, or with a form's, to send content-type: application/json, and changes nothing", async () => {
    const before = await storeCounts(fixture.server);
    const kinds: Record<string, string>[] = [{}, { "content-type": "application/x-www-form-urlencoded" }, { "content-type": "text/plain" }];
    for (const headers of kinds) {
      // A byte body, so fetch adds no content-type of its own.
      const response = await fetch(`${fixture.server.url}/graphql`, {
        method: "POST",
        headers: { ...headers, origin: APP_ORIGIN },
        body: new TextEncoder().encode(QUERY),
      });
      // Readable by the page that sent it: CORS headers come before the refusal.
      expect(response.headers.get("access-control-allow-origin")).toBe(APP_ORIGIN);
      const refused = await expectRefusedOverHttp(response);
      expect([refused.status, refused.code], JSON.stringify(headers)).toEqual([400, "BAD_REQUEST"]);
      expect(refused.body.errors[0].message).toContain("content-type: application/json");
    }
    expect(await storeCounts(fixture.server)).toEqual(before);
  });
});

describe.each(STORES)("a development server on $name, called from a page on another site", (kind) => {
  const lines: Record<string, unknown>[] = [];
  const fixture = serverPerSuite(kind, {
    env: { NODE_ENV: "development" },
    logger: createLogger("warn", { write: (line: string) => void lines.push(JSON.parse(line)) }),
  });

  const post = (origin: string) =>
    fetch(`${fixture.server.url}/graphql`, { method: "POST", headers: { origin, "content-type": "application/json" }, body: QUERY });

  it("warns once per origin that browsers will not send the Lax cookie from it (regression: localhost vs 127.0.0.1 lost the cookie silently)", async () => {
    // The server listens on 127.0.0.1; a page on localhost is allowed by CORS in development, but cross-site.
    for (const origin of ["http://localhost:5173", "http://localhost:5173", "http://127.0.0.1:5173"]) {
      expect((await post(origin)).headers.get("access-control-allow-origin")).toBe(origin);
    }
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toEqual([expect.objectContaining({ origin: "http://localhost:5173", msg: expect.stringMatching(/SameSite=Lax/) })]);
  });
});
