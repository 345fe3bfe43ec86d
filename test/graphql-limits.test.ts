import { getIntrospectionQuery } from "graphql";
import { describe, expect, it } from "vitest";
import { MAX_ALIASES, MAX_DEPTH, MAX_TOKENS } from "../src/graphql/graphql-limits.js";
import { expectRefusedOverHttp, postRaw, storeCounts } from "./attacks/attack-kit.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { PRODUCTION_ENV } from "./support/test-config.js";
import type { TestServer } from "./support/test-server.js";

const SIGN_UP_INPUT = '{username: "limits_user", email: "limits_user@example.com", password: "a long enough password 99"}';

/** `me` nested in inline fragments so the operation is exactly `depth` levels deep. */
function meAtDepth(depth: number): string {
  let selection = "{ id }";
  for (let i = 0; i < depth - 2; i++) selection = `{ ... on User ${selection} }`;
  return `{ me ${selection} }`;
}

const aliasesOfMe = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(" ")} }`;

function deepSignUp(levels: number): string {
  let selection = "{ accessToken }";
  for (let i = 0; i < levels; i++) selection = `{ ... on AuthPayload ${selection} }`;
  return `mutation { signUp(input: ${SIGN_UP_INPUT}) ${selection} }`;
}

const post = (s: TestServer, query: string) => postRaw(s, JSON.stringify({ query }));

/** Refused with a 400 and the JSON error shape, before any resolver wrote anything. */
async function expectRefusedBeforeResolvers(s: TestServer, query: string, code = "GRAPHQL_VALIDATION_FAILED") {
  const before = await storeCounts(s);
  const refused = await expectRefusedOverHttp(await post(s, query));
  expect(refused).toMatchObject({ status: 400, code });
  expect(await storeCounts(s), "a resolver ran").toEqual(before);
  return refused;
}

/** Reached execution: a 200, whatever the resolvers then said. */
async function expectExecuted(s: TestServer, query: string) {
  const response = await post(s, query);
  expect(response.status, await response.clone().text()).toBe(200);
  return (await response.json()) as any;
}

describe.each(STORES)("GraphQL limits with introspection on, on $name (OWASP ASVS 4.3.1)", (kind) => {
  const fixture = serverPerSuite(kind, { env: { NODE_ENV: "test" } });

  it(`runs an operation ${MAX_DEPTH} deep and refuses one a level deeper before any resolver`, async () => {
    await expectExecuted(fixture.server, meAtDepth(MAX_DEPTH));
    const refused = await expectRefusedBeforeResolvers(fixture.server, meAtDepth(MAX_DEPTH + 1));
    expect(refused.body.errors[0].message).toMatch(/depth/i);
    await expectRefusedBeforeResolvers(fixture.server, deepSignUp(MAX_DEPTH));
  });

  it("exempts the standard introspection query from the depth limit, but not a deep __type", async () => {
    const body = await expectExecuted(fixture.server, getIntrospectionQuery());
    expect(body.data.__schema.queryType.name).toBe("Query");
    let nested = "{ name }";
    for (let i = 0; i < MAX_DEPTH; i++) nested = `{ ofType ${nested} }`;
    await expectRefusedBeforeResolvers(fixture.server, `{ __type(name: "User") { fields { type ${nested} } } }`);
  });

  it(`runs ${MAX_ALIASES} aliases and refuses ${MAX_ALIASES + 1}, with aliased mutations writing nothing`, async () => {
    await expectExecuted(fixture.server, aliasesOfMe(MAX_ALIASES));
    const refused = await expectRefusedBeforeResolvers(fixture.server, aliasesOfMe(MAX_ALIASES + 1));
    expect(refused.body.errors[0].message).toMatch(/alias/i);
    const signUps = Array.from(
      { length: MAX_ALIASES + 1 },
      (_, i) => `s${i}: signUp(input: ${SIGN_UP_INPUT.replaceAll("limits_user", `limits_${i}`)}) { accessToken }`,
    );
    await expectRefusedBeforeResolvers(fixture.server, `mutation { ${signUps.join(" ")} }`);
  });

  it("refuses an operation over the cost limit", async () => {
    let selection = `{ ${"__typename ".repeat(300)}}`;
    for (let i = 0; i < 8; i++) selection = `{ ... on AuthPayload ${selection} }`;
    const refused = await expectRefusedBeforeResolvers(fixture.server, `mutation { signUp(input: ${SIGN_UP_INPUT}) ${selection} }`);
    expect(refused.body.errors[0].message).toMatch(/cost/i);
  });

  it("refuses a fragment fan-out by Apollo's recursive selection limit", async () => {
    const fragments = [`fragment F0 on AuthPayload { ${"__typename ".repeat(10)}}`];
    for (let i = 1; i <= 8; i++) fragments.push(`fragment F${i} on AuthPayload { ${`...F${i - 1} `.repeat(10)}}`);
    const refused = await expectRefusedBeforeResolvers(
      fixture.server,
      `mutation { signUp(input: ${SIGN_UP_INPUT}) { ...F8 } } ${fragments.join(" ")}`,
    );
    expect(refused.body.errors[0].extensions.validationErrorCode).toBe("MAX_RECURSIVE_SELECTIONS_EXCEEDED");
  });

  it(`refuses a document over ${MAX_TOKENS} tokens as a parse failure`, async () => {
    await expectRefusedBeforeResolvers(
      fixture.server,
      `mutation { signUp(input: ${SIGN_UP_INPUT}) { ${"accessToken ".repeat(MAX_TOKENS)}} }`,
      "GRAPHQL_PARSE_FAILED",
    );
  });

  it("answers a syntax error with 400 GRAPHQL_PARSE_FAILED, never a 500", async () => {
    for (const query of ["{ me ", "mutation { signUp(input: {) }", "}", "query { me { id } } }", '{ me(id: "unterminated) }']) {
      await expectRefusedBeforeResolvers(fixture.server, query, "GRAPHQL_PARSE_FAILED");
    }
  });

  it("keeps field suggestions outside production", async () => {
    const refused = await expectRefusedOverHttp(await post(fixture.server, "{ mee { id } }"));
    expect(refused.body.errors[0].message).toMatch(/Did you mean "me"/);
  });
});

describe.each(STORES)("GraphQL schema exposure in production on $name (OWASP ASVS 4.3.2)", (kind) => {
  const fixture = serverPerSuite(kind, { env: PRODUCTION_ENV });

  it("refuses introspection, __schema and __type alike", async () => {
    for (const query of [getIntrospectionQuery(), "{ __schema { types { name } } }", '{ __type(name: "User") { name } }']) {
      await expectRefusedBeforeResolvers(fixture.server, query);
    }
  });

  it("names ENABLE_INTROSPECTION in the refusal (regression: it told operators to pass an ApolloServer option)", async () => {
    const refused = await expectRefusedBeforeResolvers(fixture.server, "{ __schema { types { name } } }");
    expect(refused.body.errors).toEqual([
      expect.objectContaining({
        message: "GraphQL introspection is off; set ENABLE_INTROSPECTION=true to allow it",
        extensions: expect.objectContaining({ code: "GRAPHQL_VALIDATION_FAILED", validationErrorCode: "INTROSPECTION_DISABLED" }),
      }),
    ]);
    await expectExecuted(fixture.server, "{ __typename }");
  });

  it("hides field suggestions from errors", async () => {
    for (const query of ["{ mee { id } }", "{ me { usernme } }", "mutation { logot }"]) {
      const refused = await expectRefusedBeforeResolvers(fixture.server, query);
      expect(JSON.stringify(refused.body)).not.toMatch(/Did you mean/);
    }
  });

  it("hides suggestions from refused variables too", async () => {
    const query = "mutation($input: LoginInput!) { login(input: $input) { accessToken } }";
    const response = await postRaw(
      fixture.server,
      JSON.stringify({ query, variables: { input: { username: "a", usernme: "a", password: "b" } } }),
    );
    const refused = await expectRefusedOverHttp(response);
    expect(refused).toMatchObject({ status: 400, code: "BAD_USER_INPUT" });
    expect(refused.body.errors[0].message).toMatch(/"usernme" is not defined/);
    expect(JSON.stringify(refused.body)).not.toMatch(/Did you mean/);
  });
});

describe.each(STORES)("ENABLE_INTROSPECTION=true in production on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { ...PRODUCTION_ENV, ENABLE_INTROSPECTION: "true" } });

  it("re-enables introspection, still exempt from the depth limit", async () => {
    const body = await expectExecuted(fixture.server, getIntrospectionQuery());
    expect(body.data.__schema.types.map((t: { name: string }) => t.name)).toContain("AuthPayload");
  });
});
