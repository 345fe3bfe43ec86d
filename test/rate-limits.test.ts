import { createServer } from "node:net";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentNamespace } from "../src/store/deployment-namespace.js";
import { errorOf, type GraphQLClient, type GraphQLResponse, LOGIN, REFRESH, SIGN_UP } from "./support/graphql-client.js";
import { SQLITE, TEST_REDIS_URL, type TestStore } from "./support/stores.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

const MAX_FAILURES = 5;
const WRONG = "definitely not the password";

/** Each backend the limits run on: memory always, Redis (shared by instances) when configured. */
const BACKENDS = [
  { name: "memory", redisUrl: undefined, available: true },
  { name: "Redis (needs TEST_REDIS_URL)", redisUrl: TEST_REDIS_URL, available: !!TEST_REDIS_URL },
] as const;

function login(client: GraphQLClient, username: string, password: string, headers?: Record<string, string>) {
  return client.request(LOGIN, { input: { username, password } }, headers ? { headers } : {});
}

function expectInvalid(response: GraphQLResponse) {
  expect(errorOf(response)).toMatchObject({ code: "UNAUTHENTICATED", reason: "INVALID_CREDENTIALS" });
}

/** The operation was refused as a whole: RATE_LIMITED, HTTP 429 and a Retry-After in seconds. */
function expectRateLimited(response: GraphQLResponse): number {
  expect(errorOf(response).code).toBe("RATE_LIMITED");
  const retryAfter = response.body.errors?.[0]?.extensions?.retryAfter as number;
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
  expect(response.status).toBe(429);
  expect(response.headers.get("retry-after")).toBe(String(retryAfter));
  return retryAfter;
}

let nameCounter = 0;
const unknownName = () => `nobody_${process.pid}_${++nameCounter}_${Math.floor(Math.random() * 1e6)}`;

/** Starts servers on one fresh SQLite store (the limits do not live there) and stops them after. */
function serversFor(redisUrl: string | undefined) {
  const started: TestServer[] = [];
  let store: TestStore | undefined;
  afterAll(async () => {
    for (const server of started) await server.stop();
    await store?.drop();
  });
  return async (env: Record<string, string> = {}, shareStore = false): Promise<TestServer> => {
    if (!shareStore || !store) {
      if (!shareStore) await store?.drop().catch(() => {});
      store = await SQLITE.create();
    }
    const server = await startTestServer({
      databaseUrl: store.url,
      env: { LOGIN_MAX_FAILURES: String(MAX_FAILURES), ...(redisUrl ? { REDIS_URL: redisUrl } : {}), ...env },
    });
    started.push(server);
    return server;
  };
}

for (const backend of BACKENDS) {
  describe.skipIf(!backend.available)(`brute-force limits on ${backend.name}`, () => {
    const start = serversFor(backend.redisUrl);
    let server: TestServer;
    beforeAll(async () => {
      server = await start({ LOGIN_BLOCK_DURATION: "2s" });
    });

    it("blocks a (username, IP) pair after LOGIN_MAX_FAILURES failures, even for the right password, until the block ends", async () => {
      const client = server.client();
      const { username, password } = await signUpUser(client);
      for (let i = 0; i < MAX_FAILURES; i++) expectInvalid(await login(client, username, WRONG));
      const retryAfter = expectRateLimited(await login(client, username, password));
      expect(retryAfter).toBeLessThanOrEqual(2);

      await new Promise((resolve) => setTimeout(resolve, retryAfter * 1000));
      // rate-limiter-flexible counts in real time; allow a bounded number of short retries.
      let after: GraphQLResponse | undefined;
      for (let i = 0; i < 20; i++) {
        after = await login(client, username, password);
        if (errorOf(after).code !== "RATE_LIMITED") break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      expect(after?.body.errors).toBeUndefined();
      expect(after?.body.data?.login.accessToken).toBeTruthy();
    });

    it("resets the pair's count on a successful login", async () => {
      const client = server.client();
      const { username, password } = await signUpUser(client);
      for (let i = 0; i < MAX_FAILURES - 1; i++) expectInvalid(await login(client, username, WRONG));
      expect((await login(client, username, password)).body.errors).toBeUndefined();
      // Without the reset, the second of these would already be refused.
      for (let i = 0; i < MAX_FAILURES; i++) expectInvalid(await login(client, username, WRONG));
      expectRateLimited(await login(client, username, WRONG));
    });

    it("limits unknown usernames exactly as known ones, so the limit reveals no accounts", async () => {
      const client = server.client();
      const username = unknownName();
      for (let i = 0; i < MAX_FAILURES; i++) expectInvalid(await login(client, username, WRONG));
      expectRateLimited(await login(client, username, WRONG));
    });

    it("counts an account under any spelling as one, so case variants and its email do not multiply attempts (ASVS 6.3.1)", async () => {
      const client = server.client();
      const { username, email } = await signUpUser(client);
      const spellings = [
        username,
        username.toUpperCase(),
        username.toLowerCase(),
        `${username[0]?.toUpperCase()}${username.slice(1)}`,
        username,
      ];
      for (const spelling of spellings) expectInvalid(await login(client, spelling, WRONG));
      expectRateLimited(await login(client, username.toUpperCase(), WRONG));
      expectRateLimited(await login(client, email, WRONG));
      expectRateLimited(await login(client, email.toUpperCase(), WRONG));
    });

    it("lets no aliased login run past a failure, so one operation of many aliases is at most one guess", async () => {
      const client = server.client();
      const { username, password } = await signUpUser(client);
      const guesses = Array.from(
        { length: 15 },
        (_, i) => `a${i}: login(input: { username: $username, password: $password }) { accessToken }`,
      );
      const operation = `mutation Guess($username: String!, $password: String!) { ${guesses.join(" ")} }`;
      for (let i = 0; i < MAX_FAILURES; i++) {
        const batched = await client.request(operation, { username, password: WRONG });
        // A mutation's fields run one after another and a failed non-null field ends the rest.
        expect((batched.body.errors ?? []).map((e) => e.extensions?.reason)).toEqual(["INVALID_CREDENTIALS"]);
      }
      expectRateLimited(await client.request(operation, { username, password: WRONG }));
      expectRateLimited(await login(client, username, password));
    });

    it("consumes the limit once per alias, so aliases in one operation cannot multiply sign-ups", async () => {
      const limited = await start({ SIGNUP_MAX_PER_IP_PER_HOUR: String(MAX_FAILURES) });
      const names = Array.from({ length: MAX_FAILURES + 1 }, () => unknownName());
      const aliases = names.map(
        (name, i) =>
          `s${i}: signUp(input: { username: "${name}", email: "${name}@example.com", password: "a fine long passphrase" }) { accessToken }`,
      );
      const batched = await limited.client().request(`mutation { ${aliases.join(" ")} }`);
      expect((batched.body.errors ?? []).map((e) => e.extensions?.code)).toEqual(["RATE_LIMITED"]);
      // The first five ran (and created their users); the sixth was refused by the limit.
      const fifth = await login(limited.client(), names[MAX_FAILURES - 1] as string, "a fine long passphrase");
      expect(fifth.body.errors).toBeUndefined();
      expectInvalid(await login(limited.client(), names[MAX_FAILURES] as string, "a fine long passphrase"));
    });

    it("ignores X-Forwarded-For by default, so a client cannot pick a fresh address per attempt", async () => {
      const client = server.client();
      const username = unknownName();
      for (let i = 0; i < MAX_FAILURES; i++)
        expectInvalid(await login(client, username, WRONG, { "x-forwarded-for": `198.51.100.${i + 1}` }));
      expectRateLimited(await login(client, username, WRONG, { "x-forwarded-for": "198.51.100.200" }));
    });

    it("limits failed logins per IP per day across many usernames", async () => {
      const perIp = await start({ LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "3" });
      const client = perIp.client();
      for (let i = 0; i < 3; i++) expectInvalid(await login(client, unknownName(), WRONG));
      expectRateLimited(await login(client, unknownName(), WRONG));
    });

    it("limits signUp per IP", async () => {
      const perIp = await start({ SIGNUP_MAX_PER_IP_PER_HOUR: "2" });
      await signUpUser(perIp.client());
      await signUpUser(perIp.client());
      const name = unknownName();
      const third = await perIp
        .client()
        .request(SIGN_UP, { input: { username: name, email: `${name}@example.com`, password: "a fine long passphrase" } });
      expectRateLimited(third);
    });

    it("limits refreshToken per IP", async () => {
      const perIp = await start({ REFRESH_MAX_PER_IP_PER_MINUTE: "3" });
      const client = perIp.client();
      await signUpUser(client);
      for (let i = 0; i < 3; i++) expect((await client.request(REFRESH)).body.errors).toBeUndefined();
      expectRateLimited(await client.request(REFRESH));
    });

    describe("behind a trusted proxy (TRUST_PROXY=1)", () => {
      let proxied: TestServer;
      beforeAll(async () => {
        proxied = await start({ TRUST_PROXY: "1" });
      });

      it("counts the address X-Forwarded-For names, not the proxy's", async () => {
        const client = proxied.client();
        const username = unknownName();
        const from = (ip: string) => ({ "x-forwarded-for": ip });
        for (let i = 0; i < MAX_FAILURES; i++) expectInvalid(await login(client, username, WRONG, from("198.51.100.7")));
        expectRateLimited(await login(client, username, WRONG, from("198.51.100.7")));
        expectInvalid(await login(client, username, WRONG, from("198.51.100.8")));
      });

      it("counts an IPv6 client by its /64, so rotating addresses within it does not help", async () => {
        const client = proxied.client();
        const username = unknownName();
        for (let i = 0; i < MAX_FAILURES; i++)
          expectInvalid(await login(client, username, WRONG, { "x-forwarded-for": `2001:db8:7:7::${i + 1}` }));
        expectRateLimited(await login(client, username, WRONG, { "x-forwarded-for": "2001:db8:7:7:ffff::1" }));
        expectInvalid(await login(client, username, WRONG, { "x-forwarded-for": "2001:db8:7:8::1" }));
      });
    });
  });
}

describe.skipIf(!TEST_REDIS_URL)("brute-force limits shared through Redis (needs TEST_REDIS_URL)", () => {
  const start = serversFor(TEST_REDIS_URL);

  it("counts failures on one instance towards the block on another, and keeps them in Redis under the deployment's prefix", async () => {
    const a = await start();
    const b = await start({}, true);
    const username = unknownName();
    for (let i = 0; i < MAX_FAILURES; i++) expectInvalid(await login((i % 2 === 0 ? a : b).client(), username, WRONG));
    expectRateLimited(await login(a.client(), username, WRONG));
    expectRateLimited(await login(b.client(), username, WRONG));

    const redis = new Redis(TEST_REDIS_URL as string, { lazyConnect: true });
    await redis.connect();
    try {
      const prefix = `auth:${deploymentNamespace(a.app.store.url)}:login_pair:`;
      const keys = await redis.keys(`${prefix}*`);
      expect(keys.length).toBeGreaterThanOrEqual(1);
      // The key holds a digest, never the username itself.
      expect(keys.some((key) => key.includes(username))).toBe(false);
    } finally {
      redis.disconnect();
    }
  });
});

describe("brute-force limits while Redis is unreachable", () => {
  const start = serversFor(undefined);

  it("falls back to the per-process insurance limiter: logins still limited, never a 500", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const server = await start({ REDIS_URL: `redis://127.0.0.1:${closedPort}` });
    const client = server.client();
    const { username, password } = await signUpUser(client);
    for (let i = 0; i < MAX_FAILURES; i++) {
      const failed = await login(client, username, WRONG);
      expect(failed.status).toBe(200);
      expectInvalid(failed);
    }
    expectRateLimited(await login(client, username, password));
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(503);
  });
});
