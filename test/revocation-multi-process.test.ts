import { Redis } from "ioredis";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deploymentNamespace } from "../src/store/deployment-namespace.js";
import { type ClientSource, expectAccepted, meWith } from "./support/access-token-checks.js";
import { errorOf, LOGOUT, LOGOUT_ALL } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { type ServerProcess, spawnServer } from "./support/server-process.js";
import { execSql } from "./support/store-sql.js";
import { POSTGRES, SQLITE, type StoreKind, TEST_DATABASE_URL, TEST_REDIS_URL, type TestStore } from "./support/stores.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

/**
 * The contract allows a second for a revocation to reach every instance. Tests poll for it, with a
 * generous bound so a loaded machine does not fail them; they never measure the time.
 */
const POLL_TRIES = 100;
const POLL_INTERVAL_MS = 100;

/** Resolves once `token` is refused as SESSION_REVOKED on `server`; fails after the bound. */
async function eventuallyRevoked(server: ClientSource, token: string): Promise<void> {
  for (let i = 0; i < POLL_TRIES; i++) {
    const me = await meWith(server, token);
    if (errorOf(me).reason === "SESSION_REVOKED") return;
    expect(me.body.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
  throw new Error(`the token was still accepted after ${POLL_TRIES} tries`);
}

/** Cuts the bus listeners of every instance on `store`, as a network blip or a failover would. */
async function cutListeners(store: TestStore, redisUrl: string | undefined): Promise<number> {
  const namespace = deploymentNamespace(store.url);
  if (redisUrl) {
    const admin = new Redis(redisUrl, { lazyConnect: true });
    await admin.connect();
    try {
      const name = `revocations-auth_${namespace}_revocations`;
      const list = (await admin.client("LIST")) as string;
      const ids = list
        .split("\n")
        .filter((line) => line.includes(` name=${name} `))
        .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
        .filter((id): id is string => id !== undefined);
      for (const id of ids) await admin.client("KILL", "ID", id);
      return ids.length;
    } finally {
      admin.disconnect();
    }
  }
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    const result = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1", [
      `revocations_auth_revocations_${namespace}`,
    ]);
    return result.rowCount ?? 0;
  } finally {
    await admin.end();
  }
}

interface Topology {
  readonly name: string;
  readonly kind: StoreKind | undefined;
  readonly redisUrl: string | undefined;
  readonly available: boolean;
}

const TOPOLOGIES: readonly Topology[] = [
  { name: "PostgreSQL LISTEN/NOTIFY (needs TEST_DATABASE_URL)", kind: POSTGRES, redisUrl: undefined, available: POSTGRES !== undefined },
  {
    name: "Redis pub/sub over PostgreSQL (needs TEST_DATABASE_URL and TEST_REDIS_URL)",
    kind: POSTGRES,
    redisUrl: TEST_REDIS_URL,
    available: POSTGRES !== undefined && !!TEST_REDIS_URL,
  },
  {
    name: "Redis pub/sub over one SQLite file (needs TEST_REDIS_URL)",
    kind: SQLITE,
    redisUrl: TEST_REDIS_URL,
    available: !!TEST_REDIS_URL,
  },
];

for (const topology of TOPOLOGIES) {
  describe.skipIf(!topology.available)(`two instances in one process sharing ${topology.name}`, () => {
    let store: TestStore;
    let a: TestServer;
    let b: TestServer;
    const env = (): Record<string, string> => (topology.redisUrl ? { REDIS_URL: topology.redisUrl } : {});

    beforeAll(async () => {
      store = await (topology.kind as StoreKind).create();
      a = await startTestServer({ databaseUrl: store.url, env: env() });
      b = await startTestServer({ databaseUrl: store.url, env: env() });
    });
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await store?.drop();
    });

    it("refuses on the other instance a token whose session ended by logout on this one", async () => {
      const client = a.client();
      await signUpUser(client);
      const token = client.accessToken as string;
      await expectAccepted(b, token);
      await client.request(LOGOUT);
      await eventuallyRevoked(b, token);
    });

    it("refuses on the first instance every token ended by logoutAll on the second", async () => {
      const client = b.client();
      await signUpUser(client);
      const token = client.accessToken as string;
      await expectAccepted(a, token);
      const ended = await client.request(LOGOUT_ALL);
      expect(ended.body.data?.logoutAll).toBe(1);
      await eventuallyRevoked(a, token);
    });

    it("refuses, on an instance started afterwards, a session ended before it started", async () => {
      const client = a.client();
      await signUpUser(client);
      const token = client.accessToken as string;
      await client.request(LOGOUT);
      const late = await startTestServer({ databaseUrl: store.url, env: env() });
      try {
        // start() reads the store before serving, so no polling here.
        const me = await meWith(late, token);
        expect(errorOf(me)).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
      } finally {
        await late.stop();
      }
    });

    it("catches up after its listener reconnects on a revocation whose message it never heard", async () => {
      const client = a.client();
      await signUpUser(client);
      const token = client.accessToken as string;
      // Ended in the store with no message at all, as when the publisher died after its commit.
      await execSql(store, "update sessions set revoked_at = ?, revoked_reason = 'revoked' where id = ?", [
        Date.now(),
        claimsOf(token).sid,
      ]);
      await expectAccepted(b, token);
      expect(await cutListeners(store, topology.redisUrl)).toBeGreaterThanOrEqual(2);
      await eventuallyRevoked(b, token);
      await eventuallyRevoked(a, token);
    });
  });
}

const PROCESS_TOPOLOGIES = TOPOLOGIES.filter((t) => t.kind === POSTGRES);

for (const topology of PROCESS_TOPOLOGIES) {
  describe.skipIf(!topology.available)(`two server processes sharing ${topology.name}`, () => {
    let store: TestStore;
    let a: ServerProcess;
    let b: ServerProcess;

    beforeAll(async () => {
      store = await (topology.kind as StoreKind).create();
      const env = { DATABASE_URL: store.url, ...(topology.redisUrl ? { REDIS_URL: topology.redisUrl } : {}) };
      // One after the other, so the second finds the schema migrated.
      a = await spawnServer(env);
      b = await spawnServer(env);
    }, 90_000);
    afterAll(async () => {
      await a?.stop();
      await b?.stop();
      await store?.drop();
    }, 30_000);

    it("refuses on one process a token whose session ended on the other, both ways", async () => {
      const first = a.client();
      await signUpUser(first);
      const firstToken = first.accessToken as string;
      await expectAccepted(b, firstToken);
      await first.request(LOGOUT);
      await eventuallyRevoked(b, firstToken);

      const second = b.client();
      await signUpUser(second);
      const secondToken = second.accessToken as string;
      await expectAccepted(a, secondToken);
      await second.request(LOGOUT_ALL);
      await eventuallyRevoked(a, secondToken);
    }, 60_000);
  });
}
