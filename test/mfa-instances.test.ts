import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, LOGIN } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { enableMfa, mfaTokenFor, totpCode, verifyMfa } from "./support/mfa-steps.js";
import { POSTGRES, TEST_REDIS_URL, type TestStore } from "./support/stores.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

/**
 * Two instances sharing PostgreSQL and Redis, as a deployment behind a load balancer: a TOTP code
 * accepted by one is refused by the other, and wrong codes sent to either count in one limit.
 */
describe.skipIf(!POSTGRES || !TEST_REDIS_URL)("the second factor across two instances (PostgreSQL + Redis)", () => {
  const clock = new ManualClock();
  let store: TestStore;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    store = await (POSTGRES as NonNullable<typeof POSTGRES>).create();
    const env = { REDIS_URL: TEST_REDIS_URL as string };
    a = await startTestServer({ databaseUrl: store.url, clock, env });
    b = await startTestServer({ databaseUrl: store.url, clock, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await store?.drop();
  });

  it("accepts a TOTP code once across instances, and counts wrong codes on both in one (username, IP) limit", async () => {
    const client = a.client();
    const { username, password } = await signUpUser(client);
    const { secret } = await enableMfa(client, password, clock);
    const code = totpCode(secret, clock);
    expect((await verifyMfa(a.client(), await mfaTokenFor(a.client(), username, password), code)).body.errors).toBeUndefined();
    expect(errorOf(await verifyMfa(b.client(), await mfaTokenFor(b.client(), username, password), code)).reason).toBe("MFA_CODE_INVALID");

    // That replay was one failure; four more, spread over both instances and two mfaTokens, spend the budget.
    const onA = await mfaTokenFor(a.client(), username, password);
    const onB = await mfaTokenFor(b.client(), username, password);
    for (const [server, token] of [
      [a, onA],
      [b, onB],
      [a, onB],
      [b, onA],
    ] as const) {
      expect(errorOf(await verifyMfa(server.client(), token, "000000")).reason).toBe("MFA_CODE_INVALID");
    }
    expect(errorOf(await verifyMfa(b.client(), onA, totpCode(secret, clock, 1))).code).toBe("RATE_LIMITED");
    expect(errorOf(await a.client().request(LOGIN, { input: { username, password } })).code).toBe("RATE_LIMITED");
  });
});
