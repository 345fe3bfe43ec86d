import { describe, expect, it } from "vitest";
import { SIGN_UP } from "../support/graphql-client.js";
import { STORES } from "../support/stores.js";
import { expectRefusedOverHttp, expectSessionIntact, postRaw, storeCounts, targetPerSuite } from "./attack-kit.js";

const signUpInput = (n: number) => `{username: "abuser${n}", email: "abuser${n}@example.com", password: "a long enough password ${n}"}`;

/**
 * Operations built to exhaust the server or to multiply guesses in one request: each is refused
 * with a 4xx before any resolver runs, so no row is written and no attempt is counted
 * (OWASP ASVS 4.3.1, 6.3.1).
 */
describe.each(STORES)("abusive operations on $name", (kind) => {
  const target = targetPerSuite(kind);

  async function expectRefusedBeforeResolvers(body: NonNullable<RequestInit["body"]>, headers?: Record<string, string>) {
    const before = await storeCounts(target.server);
    const refused = await expectRefusedOverHttp(await postRaw(target.server, body, headers));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await storeCounts(target.server), "a resolver ran").toEqual(before);
    return refused;
  }

  it("refuses 20 aliased logins in one operation, so guesses cannot be batched past the lockout (ASVS 4.3.1, 6.3.1)", async () => {
    const aliases = Array.from(
      { length: 20 },
      (_, i) => `g${i}: login(input: {username: "${target.victim.username}", password: "guess number ${i}"}) { accessToken }`,
    ).join(" ");
    const refused = await expectRefusedBeforeResolvers(JSON.stringify({ query: `mutation { ${aliases} }` }));
    expect(refused.code).toBe("GRAPHQL_VALIDATION_FAILED");
    await expectSessionIntact(target.victim);
  });

  it("refuses 20 aliased signUps, so no account is created (ASVS 4.3.1)", async () => {
    const aliases = Array.from({ length: 20 }, (_, i) => `s${i}: signUp(input: ${signUpInput(i)}) { accessToken }`).join(" ");
    expect((await expectRefusedBeforeResolvers(JSON.stringify({ query: `mutation { ${aliases} }` }))).code).toBe(
      "GRAPHQL_VALIDATION_FAILED",
    );
  });

  it("refuses a deep operation of nested fragments (ASVS 4.3.1)", async () => {
    let selection = "{ accessToken }";
    for (let i = 0; i < 12; i++) selection = `{ ... on AuthPayload ${selection} }`;
    const query = `mutation { signUp(input: ${signUpInput(100)}) ${selection} }`;
    expect((await expectRefusedBeforeResolvers(JSON.stringify({ query }))).code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("refuses a wide operation over the cost limit (ASVS 4.3.1)", async () => {
    let selection = `{ ${"__typename ".repeat(300)}}`;
    for (let i = 0; i < 8; i++) selection = `{ ... on AuthPayload ${selection} }`;
    const query = `mutation { signUp(input: ${signUpInput(101)}) ${selection} }`;
    expect((await expectRefusedBeforeResolvers(JSON.stringify({ query }))).code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("refuses a fragment fan-out that would select 10^8 fields (ASVS 4.3.1)", async () => {
    const fragments = [`fragment F0 on AuthPayload { ${"__typename ".repeat(10)}}`];
    for (let i = 1; i <= 8; i++) fragments.push(`fragment F${i} on AuthPayload { ${`...F${i - 1} `.repeat(10)}}`);
    const query = `mutation { signUp(input: ${signUpInput(102)}) { ...F8 } } ${fragments.join(" ")}`;
    expect((await expectRefusedBeforeResolvers(JSON.stringify({ query }))).code).toBe("GRAPHQL_VALIDATION_FAILED");
  });

  it("refuses a document of more than 2000 tokens at parse time (ASVS 4.3.1)", async () => {
    const query = `mutation { signUp(input: ${signUpInput(103)}) { ${"accessToken ".repeat(2500)}} }`;
    expect((await expectRefusedBeforeResolvers(JSON.stringify({ query }))).code).toBe("GRAPHQL_PARSE_FAILED");
  });

  it("refuses a 200 KB body with 413, whatever it holds (ASVS 4.3.1)", async () => {
    const padded = JSON.stringify({
      query: SIGN_UP,
      variables: { input: { username: "big", email: "big@example.com", password: "x".repeat(200_000) } },
    });
    expect((await expectRefusedBeforeResolvers(padded)).status).toBe(413);
    const manyVariables = JSON.stringify({
      query: "{ __typename }",
      variables: Object.fromEntries(Array.from({ length: 20_000 }, (_, i) => [`v${i}`, i])),
    });
    expect((await expectRefusedBeforeResolvers(manyVariables)).status).toBe(413);
  });

  it("refuses malformed JSON, truncated, nested 10,000 deep and with a BOM, with 400 and no parser message (ASVS 1.5.2)", async () => {
    for (const body of ['{"query": "{ __typename }"', "{'query': 1}", `${"[".repeat(10_000)}${"]".repeat(10_000)}`, "\uFEFF{}", "\u0000"]) {
      const refused = await expectRefusedBeforeResolvers(body);
      expect(refused.status, body.slice(0, 20)).toBe(400);
      expect(JSON.stringify(refused.body)).not.toMatch(/Unexpected token|position \d+/);
    }
  });

  it("refuses a batched array of logins, so guesses cannot be sent many to a request (ASVS 6.3.1)", async () => {
    const batch = Array.from({ length: 10 }, (_, i) => ({
      query: `mutation { login(input: {username: "${target.victim.username}", password: "batched guess ${i}"}) { accessToken } }`,
    }));
    expect((await expectRefusedBeforeResolvers(JSON.stringify(batch))).status).toBe(400);
    await expectSessionIntact(target.victim);
  });
});
