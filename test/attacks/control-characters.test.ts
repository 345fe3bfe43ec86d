import { describe, expect, it } from "vitest";
import { CHANGE_PASSWORD, LOGIN, REVOKE_SESSION, SIGN_UP } from "../support/graphql-client.js";
import { STORES } from "../support/stores.js";
import { expectRefused, expectRefusedOverHttp, expectSessionIntact, postRaw, storeCounts, targetPerSuite } from "./attack-kit.js";

/** NUL first: PostgreSQL refuses it in text with a driver error, and C strings end at it. */
const CONTROLS = ["\u0000", "\u0001", "\u001b[31m", "\u007f", "\u0085", "\r\n"];

const withControl = (value: string, control: string) => `${value.slice(0, 3)}${control}${value.slice(3)}`;

/**
 * NUL and other control characters in every input field: each is BAD_USER_INPUT naming the field,
 * never a store error or a 5xx, and nothing is written (OWASP ASVS 1.2 injection prevention,
 * 2.2.1 input validation; the API contract's input rules).
 */
describe.each(STORES)("control characters in every input on $name", (kind) => {
  // Refused logins count towards the brute-force lockout; this suite sends many on purpose.
  const target = targetPerSuite(kind, { env: { LOGIN_MAX_FAILURES: "1000" } });

  it("refuses them in every signUp field, creating no user (ASVS 2.2.1)", async () => {
    const good = { username: "fresh_user", email: "fresh_user@example.com", password: "a long enough password 42" };
    for (const control of CONTROLS) {
      for (const field of ["username", "email", "password"] as const) {
        const before = await storeCounts(target.server);
        const input = { ...good, [field]: withControl(good[field], control) };
        const response = await target.server.client().request(SIGN_UP, { input });
        expect(expectRefused(response), `${field} ${JSON.stringify(control)}`).toMatchObject({ code: "BAD_USER_INPUT" });
        expect(response.body.errors?.[0]?.extensions?.field).toBe(field);
        expect((await storeCounts(target.server)).users).toBe(before.users);
      }
    }
  });

  it("refuses them in login's username and password, for a real and an unknown user (ASVS 2.2.1)", async () => {
    for (const control of CONTROLS) {
      for (const input of [
        { username: withControl(target.victim.username, control), password: target.victim.password },
        { username: target.victim.username, password: withControl(target.victim.password, control) },
        { username: `${control}nobody@example.com`, password: "whatever password" },
      ]) {
        const response = await target.server.client().request(LOGIN, { input });
        expect(expectRefused(response), JSON.stringify(input)).toMatchObject({ code: "BAD_USER_INPUT" });
        expect(response.setCookies).toEqual([]);
      }
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses them in changePassword's fields and ends no session (ASVS 2.2.1, 6.2.3)", async () => {
    for (const control of CONTROLS) {
      for (const [field, input] of [
        ["currentPassword", { currentPassword: withControl(target.victim.password, control), newPassword: "another long passphrase 7" }],
        ["newPassword", { currentPassword: target.victim.password, newPassword: withControl("another long passphrase 7", control) }],
      ] as const) {
        const response = await target.victim.client.request(CHANGE_PASSWORD, { input });
        expect(expectRefused(response)).toMatchObject({ code: "BAD_USER_INPUT" });
        expect(response.body.errors?.[0]?.extensions?.field).toBe(field);
      }
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses them in revokeSession's id, with no store error (ASVS 2.2.1)", async () => {
    for (const control of CONTROLS) {
      const response = await target.victim.client.request(REVOKE_SESSION, { id: withControl(target.victim.sid, control) });
      expect(expectRefused(response)).toMatchObject({ code: "BAD_USER_INPUT" });
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses a NUL in the document, the operation name and a variable's name as 4xx request errors (ASVS 2.2.1)", async () => {
    for (const body of [
      { query: "{ __typename\u0000 }" },
      { query: "query A { __typename }", operationName: "A\u0000" },
      { query: "query ($a\u0000: Int) { __typename }" },
    ]) {
      const refused = await expectRefusedOverHttp(await postRaw(target.server, JSON.stringify(body)));
      expect(refused.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
    }
  });
});
