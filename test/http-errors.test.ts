import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { expectRefusedOverHttp, storeCounts } from "./attacks/attack-kit.js";
import { LOGOUT, SIGN_UP } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";

/**
 * Refusals made before GraphQL runs: each is a 4xx with `{"errors":[{"message","extensions":{"code"}}]}`
 * as JSON, never HTML (Express's default) and never a 5xx (the API contract's HTTP surface).
 */
describe.each(STORES)("HTTP-level refusals on $name", (kind) => {
  const fixture = serverPerSuite(kind);

  async function expectRefusal(init: RequestInit & { path?: string }, status: number | number[]) {
    const before = await storeCounts(fixture.server);
    const response = await fetch(`${fixture.server.url}${init.path ?? "/graphql"}`, init);
    const refused = await expectRefusedOverHttp(response);
    expect([status].flat(), `${init.method} ${init.path ?? "/graphql"}`).toContain(refused.status);
    expect(await storeCounts(fixture.server)).toEqual(before);
    return { ...refused, headers: response.headers };
  }

  const json = { "content-type": "application/json" };
  const signUpBody = JSON.stringify({
    query: SIGN_UP,
    variables: { input: { username: "http_user", email: "http_user@example.com", password: "a long enough password 1" } },
  });

  it("refuses malformed JSON with 400 and a message naming no parser internals", async () => {
    for (const body of ["{", '{"query": }', "{'query': '{ __typename }'}", '{"query": "{ __typename }"} trailing', "nul"]) {
      const refused = await expectRefusal({ method: "POST", headers: json, body }, 400);
      expect(refused.body.errors[0].message).not.toMatch(/Unexpected|position|JSON\.parse/);
    }
  });

  it("refuses a body over 100 KB with 413, also when it arrives gzipped", async () => {
    const big = JSON.stringify({ query: "{ __typename }", pad: "x".repeat(200 * 1024) });
    expect((await expectRefusal({ method: "POST", headers: json, body: big }, 413)).code).toBe("BAD_REQUEST");
    const bomb = gzipSync(Buffer.from(big));
    expect(bomb.length).toBeLessThan(10 * 1024);
    await expectRefusal({ method: "POST", headers: { ...json, "content-encoding": "gzip" }, body: bomb }, 413);
  });

  it("refuses unparseable or unsupported Content-Type and Content-Encoding", async () => {
    for (const type of [
      "///",
      "application/json; charset=klingon",
      "application/json;;;=",
      "application/json; charset",
      "application/json; charset=utf-16",
      "json",
    ]) {
      await expectRefusal({ method: "POST", headers: { "content-type": type }, body: signUpBody }, [400, 415]);
    }
    await expectRefusal({ method: "POST", headers: { ...json, "content-encoding": "compress" }, body: signUpBody }, 415);
    await expectRefusal({ method: "POST", headers: { ...json, "content-encoding": "gzip" }, body: "not gzip" }, 400);
  });

  it("refuses text/plain, form-encoded and multipart posts as CSRF-prone (ASVS 3.5.2)", async () => {
    const form = new FormData();
    form.set("operations", signUpBody);
    for (const init of [
      { headers: { "content-type": "text/plain" }, body: signUpBody },
      { headers: { "content-type": "application/x-www-form-urlencoded" }, body: `query=${encodeURIComponent(SIGN_UP)}` },
      { body: form },
      { body: signUpBody },
    ]) {
      expect((await expectRefusal({ method: "POST", ...init }, 400)).code).toBe("BAD_REQUEST");
    }
  });

  it("refuses a mutation over GET with 405 and a batched array with 400", async () => {
    const get = await expectRefusal(
      { method: "GET", path: `/graphql?query=${encodeURIComponent(LOGOUT)}`, headers: { "apollo-require-preflight": "true" } },
      405,
    );
    expect(get.headers.get("allow")).toBe("POST");
    await expectRefusal(
      { method: "POST", headers: json, body: JSON.stringify([{ query: "{ __typename }" }, { query: "{ __typename }" }]) },
      400,
    );
    for (const body of ["null", "1", '"{ __typename }"', "{}", '{"query": 1}', '{"query": "{ __typename }", "variables": "{}"}']) {
      await expectRefusal({ method: "POST", headers: json, body }, 400);
    }
  });

  it("refuses PUT, DELETE and PATCH on /graphql with 405 and Allow", async () => {
    for (const method of ["PUT", "DELETE", "PATCH"]) {
      const refused = await expectRefusal({ method, headers: json, body: signUpBody }, 405);
      expect(refused.headers.get("allow")).toBe("GET, POST");
      expect(refused.code).toBe("METHOD_NOT_ALLOWED");
    }
    await expectRefusal({ method: "DELETE" }, 405);
  });

  it("answers unknown routes with a JSON 404, never an HTML page", async () => {
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/nope"],
      ["GET", "/%E0%A4%A"],
      ["POST", "/healthz"],
      ["DELETE", "/.well-known/jwks.json"],
    ] as const) {
      expect((await expectRefusal({ method, path }, 404)).code).toBe("NOT_FOUND");
    }
  });

  it("answers an oversized header block with a JSON 431", async () => {
    const refused = await expectRefusal(
      { method: "POST", headers: { ...json, "x-padding": "p".repeat(64 * 1024) }, body: signUpBody },
      431,
    );
    expect(refused.code).toBe("BAD_REQUEST");
  });
});
