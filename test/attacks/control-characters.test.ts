import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANGE_PASSWORD, LOGIN, REVOKE_SESSION, SIGN_UP } from "../support/graphql-client.js";
import { STORES, type TestStore } from "../support/stores.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import {
  ATTACK_ENV,
  expectRefused,
  expectRefusedOverHttp,
  expectSessionIntact,
  newVictim,
  postRaw,
  storeCounts,
  type Victim,
} from "./attack-kit.js";

/** NUL first: PostgreSQL refuses it in text with a driver error, and C strings end at it. */
const CONTROLS = ["\u0000", "\u0001", "\u001b[31m", "\u007f", "\u0085", "\r\n"];

const withControl = (value: string, control: string) => `${value.slice(0, 3)}${control}${value.slice(3)}`;

/**
 * NUL and other control characters in every input field: each is BAD_USER_INPUT naming the field,
 * never a store error or a 5xx, and nothing is written (OWASP ASVS 1.2 injection prevention,
 * 2.2.1 input validation; the API contract's input rules).
 */
describe.each(STORES)("control characters in every input on $name", (kind) => {
  let store: TestStore;
  let server: TestServer;
  let victim: Victim;

  beforeAll(async () => {
    store = await kind.create();
    // Refused logins count towards the brute-force lockout; this suite sends many on purpose.
    server = await startTestServer({ databaseUrl: store.url, env: { ...ATTACK_ENV, LOGIN_MAX_FAILURES: "1000" } });
    victim = await newVictim(server);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.drop();
  });

  it("refuses them in every signUp field, creating no user (ASVS 2.2.1)", async () => {
    const good = { username: "fresh_user", email: "fresh_user@example.com", password: "a long enough password 42" };
    for (const control of CONTROLS) {
      for (const field of ["username", "email", "password"] as const) {
        const before = await storeCounts(server);
        const input = { ...good, [field]: withControl(good[field], control) };
        const response = await server.client().request(SIGN_UP, { input });
        expect(expectRefused(response), `${field} ${JSON.stringify(control)}`).toMatchObject({ code: "BAD_USER_INPUT" });
        expect(response.body.errors?.[0]?.extensions?.field).toBe(field);
        expect((await storeCounts(server)).users).toBe(before.users);
      }
    }
  });

  it("refuses them in login's username and password, for a real and an unknown user (ASVS 2.2.1)", async () => {
    for (const control of CONTROLS) {
      for (const input of [
        { username: withControl(victim.username, control), password: victim.password },
        { username: victim.username, password: withControl(victim.password, control) },
        { username: `${control}nobody@example.com`, password: "whatever password" },
      ]) {
        const response = await server.client().request(LOGIN, { input });
        expect(expectRefused(response), JSON.stringify(input)).toMatchObject({ code: "BAD_USER_INPUT" });
        expect(response.setCookies).toEqual([]);
      }
    }
    await expectSessionIntact(victim);
  });

  it("refuses them in changePassword's fields and ends no session (ASVS 2.2.1, 6.2.3)", async () => {
    for (const control of CONTROLS) {
      for (const [field, input] of [
        ["currentPassword", { currentPassword: withControl(victim.password, control), newPassword: "another long passphrase 7" }],
        ["newPassword", { currentPassword: victim.password, newPassword: withControl("another long passphrase 7", control) }],
      ] as const) {
        const response = await victim.client.request(CHANGE_PASSWORD, { input });
        expect(expectRefused(response)).toMatchObject({ code: "BAD_USER_INPUT" });
        expect(response.body.errors?.[0]?.extensions?.field).toBe(field);
      }
    }
    await expectSessionIntact(victim);
  });

  it("refuses them in revokeSession's id, with no store error (ASVS 2.2.1)", async () => {
    for (const control of CONTROLS) {
      const response = await victim.client.request(REVOKE_SESSION, { id: withControl(victim.sid, control) });
      expect(expectRefused(response)).toMatchObject({ code: "BAD_USER_INPUT" });
    }
    await expectSessionIntact(victim);
  });

  it("refuses a NUL in the document, the operation name and a variable's name as 4xx request errors (ASVS 2.2.1)", async () => {
    for (const body of [
      { query: "{ __typename\u0000 }" },
      { query: "query A { __typename }", operationName: "A\u0000" },
      { query: "query ($a\u0000: Int) { __typename }" },
    ]) {
      const refused = await expectRefusedOverHttp(await postRaw(server, JSON.stringify(body)));
      expect(refused.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    }
  });
});
