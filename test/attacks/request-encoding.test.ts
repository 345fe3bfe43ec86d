import { describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { ME } from "../support/graphql-client.js";
import { STORES } from "../support/stores.js";
import { expectRefusedOverHttp, postRaw, storeCounts, targetPerSuite } from "./attack-kit.js";

/** Issue 10, finding 7: bodies in other charsets were read, and persisted-query requests failed as internal errors. */
describe.each(STORES)("finding 7: request encodings on $name", (kind) => {
  const logLines: string[] = [];
  const target = targetPerSuite(kind, { logger: createLogger("warn", { write: (line: string) => void logLines.push(line) }) });
  const query = JSON.stringify({ query: "{ __typename }" });

  it("refuses a JSON body in any charset but UTF-8 with 415 UNSUPPORTED_MEDIA_TYPE (RFC 8259 §8.1, CWE-172)", async () => {
    const utf16 = Buffer.from(`\ufeff${query}`, "utf16le");
    for (const [type, body] of [
      ["application/json; charset=utf-16", utf16],
      ["application/json; charset=UTF-16LE", utf16],
      ['application/json; charset="utf-7"', Buffer.from(query)],
      ["application/json; charset=iso-8859-1", Buffer.from(query)],
      ["application/json; charset=utf-8; charset=utf-16", Buffer.from(query)],
    ] as const) {
      const refused = await expectRefusedOverHttp(await postRaw(target.server, body, { "content-type": type }));
      expect(refused, type).toMatchObject({ status: 415, code: "UNSUPPORTED_MEDIA_TYPE" });
    }
  });

  it("reads UTF-8 however it is spelled, and JSON with no charset (control)", async () => {
    for (const type of ["application/json", "application/json; charset=utf-8", 'application/json;charset="UTF-8"']) {
      const response = await postRaw(target.server, query, { "content-type": type });
      expect(response.status, type).toBe(200);
      expect(await response.json()).toEqual({ data: { __typename: "Query" } });
    }
  });

  it("answers any persisted-query request with 400 PERSISTED_QUERY_NOT_SUPPORTED and no error-level log (CWE-755)", async () => {
    const before = await storeCounts(target.server);
    const hash = "ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38";
    const bodies = [
      { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      { query: ME, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } },
      { extensions: { persistedQuery: { version: 1, sha256Hash: 12345 } } },
      { extensions: { persistedQuery: { version: "x" } } },
      { extensions: { persistedQuery: null } },
    ];
    for (const body of bodies) {
      const refused = await expectRefusedOverHttp(await postRaw(target.server, JSON.stringify(body)));
      expect(refused, JSON.stringify(body)).toMatchObject({ status: 400, code: "PERSISTED_QUERY_NOT_SUPPORTED" });
    }
    const extensions = encodeURIComponent(JSON.stringify({ persistedQuery: { version: 1, sha256Hash: hash } }));
    const viaGet = await fetch(`${target.server.url}/graphql?extensions=${extensions}`, { headers: { "apollo-require-preflight": "1" } });
    expect(await expectRefusedOverHttp(viaGet)).toMatchObject({ status: 400, code: "PERSISTED_QUERY_NOT_SUPPORTED" });
    expect(await storeCounts(target.server)).toEqual(before);
    expect(logLines.filter((line) => JSON.parse(line).level >= 50)).toEqual([]);
  });
});
