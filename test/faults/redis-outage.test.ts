import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/logger.js";
import { expectAccepted, meWith } from "../support/access-token-checks.js";
import { eventually } from "../support/eventually.js";
import { errorOf, LOGIN, LOGOUT_ALL } from "../support/graphql-client.js";
import { hasRedisBinary, type PrivateRedis, startPrivateRedis } from "../support/private-services.js";
import { SQLITE, type TestStore } from "../support/stores.js";
import { signUpUser, startTestServer, type TestServer } from "../support/test-server.js";

/** A log destination that keeps every line, parsed. */
function capturedLog() {
  const lines: { level: number; msg: string }[] = [];
  return {
    lines,
    logger: createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) }),
    count: (pattern: RegExp) => lines.filter((line) => pattern.test(line.msg)).length,
  };
}

const failLogin = (server: TestServer, username: string) =>
  server.client().request(LOGIN, { input: { username, password: "not the password at all" } });

/**
 * Redis (shared limits and revocations) killed with SIGKILL and started again, and absent at
 * start-up. The store is the truth for revocations; Redis only carries them fast. Each test's
 * Redis is its own, on a free port.
 */
describe.skipIf(!hasRedisBinary())("Redis killed and back", () => {
  let redis: PrivateRedis;
  let store: TestStore;
  let a: TestServer;
  let b: TestServer;
  const log = capturedLog();

  beforeAll(async () => {
    redis = await startPrivateRedis();
    store = await SQLITE.create();
    const env = { REDIS_URL: redis.url };
    a = await startTestServer({ databaseUrl: store.url, env, logger: log.logger });
    b = await startTestServer({ databaseUrl: store.url, env });
  });

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.destroy();
    await store?.drop();
  });

  it("a logoutAll made while Redis is down reaches the other instance's access tokens within a second of Redis returning", async () => {
    const owner = a.client();
    await signUpUser(owner);
    const token = owner.accessToken as string;
    await expectAccepted(b, token);

    await redis.kill();
    const ended = await owner.request(LOGOUT_ALL);
    expect(ended.body.errors).toBeUndefined();
    expect(ended.body.data?.logoutAll).toBe(1);

    await redis.start();
    await eventually("B refusing the ended session's token", async () => errorOf(await meWith(b, token)).reason === "SESSION_REVOKED");
    // The publish that failed is a warning without a stack: nothing was lost.
    expect(log.lines.filter((line) => line.level >= 50)).toEqual([]);
    expect(log.count(/could not publish session revocation/)).toBe(1);
    await eventually("Redis declared back", () => log.count(/^redis reachable again/) === 1, 15_000);
  });

  it("rate limits count in the per-process insurance while Redis is down, and in Redis, across instances, once it is back", async () => {
    await redis.kill();
    const whileDown = `ghost_down_${Date.now()}`;
    for (let i = 0; i < 5; i++) expect(errorOf(await failLogin(a, whileDown)).reason).toBe("INVALID_CREDENTIALS");
    expect(errorOf(await failLogin(a, whileDown)).code).toBe("RATE_LIMITED");

    await redis.start();
    await eventually("both instances using Redis again", async () => {
      const [readyA, readyB] = await Promise.all([fetch(`${a.url}/readyz`), fetch(`${b.url}/readyz`)]);
      return readyA.status === 200 && readyB.status === 200;
    });
    // Shared again: three failures on A and two on B spend one budget of five.
    const afterReturn = `ghost_back_${Date.now()}`;
    for (const server of [a, a, a, b, b]) expect(errorOf(await failLogin(server, afterReturn)).reason).toBe("INVALID_CREDENTIALS");
    expect(errorOf(await failLogin(a, afterReturn)).code).toBe("RATE_LIMITED");
  });

  it("says once that Redis went and once that it came back, however many reconnects failed between", async () => {
    await eventually("the second return declared", () => log.count(/^redis reachable again/) >= 2, 15_000);
    expect(log.count(/^redis unreachable/)).toBe(2);
    expect(log.count(/^redis reachable again/)).toBe(2);
    expect(log.lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});

describe.skipIf(!hasRedisBinary())("Redis down at start-up", () => {
  let redis: PrivateRedis;
  let store: TestStore;
  const servers: TestServer[] = [];

  beforeAll(async () => {
    redis = await startPrivateRedis();
    await redis.kill();
    store = await SQLITE.create();
  });

  afterAll(async () => {
    for (const server of servers) await server.stop();
    await redis?.destroy();
    await store?.drop();
  });

  it("the service starts, says so once, and uses Redis for limits and revocations when it comes", async () => {
    const log = capturedLog();
    const early = await startTestServer({ databaseUrl: store.url, env: { REDIS_URL: redis.url }, logger: log.logger });
    servers.push(early);
    expect((await fetch(`${early.url}/readyz`)).status).toBe(503);
    const owner = early.client();
    await signUpUser(owner);
    // Reconnect attempts every half second go on; the log has said it once.
    await sleep(1_200);
    expect(log.count(/^redis unreachable/)).toBe(1);

    await redis.start();
    await eventually("readiness with Redis", async () => (await fetch(`${early.url}/readyz`)).status === 200);
    await eventually("the return declared", () => log.count(/^redis reachable again/) === 1, 15_000);

    // Limits: the failure is counted in Redis, not only in this process.
    await failLogin(early, `ghost_${Date.now()}`);
    const inspector = new Redis(redis.url);
    try {
      expect((await inspector.keys("*login_pair*")).length).toBeGreaterThan(0);
    } finally {
      inspector.disconnect();
    }

    // Revocations: an instance started later ends the session; the early one hears it over Redis.
    const late = await startTestServer({ databaseUrl: store.url, env: { REDIS_URL: redis.url } });
    servers.push(late);
    const token = owner.accessToken as string;
    expect((await late.client().request(LOGOUT_ALL, undefined, { token })).body.data?.logoutAll).toBe(1);
    await eventually("the early instance refusing the token", async () => errorOf(await meWith(early, token)).reason === "SESSION_REVOKED");
    expect(log.lines.filter((line) => line.level >= 50)).toEqual([]);
  });
});
