import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectAccepted, meWith } from "../support/access-token-checks.js";
import { eventually } from "../support/eventually.js";
import { errorOf, type GraphQLClient, LOGOUT_ALL, REFRESH } from "../support/graphql-client.js";
import { hasPostgresBinaries, type PrivatePostgres, startPrivatePostgres } from "../support/private-services.js";
import { expectEveryBrowserRefreshes, startRefreshStorm } from "../support/refresh-storm.js";
import { type ServerProcess, spawnServer } from "../support/server-process.js";
import { signUpUser } from "../support/test-server.js";

const BROWSERS = 20;

const linesMatching = (server: ServerProcess, pattern: RegExp) =>
  server
    .output()
    .split("\n")
    .filter((line) => pattern.test(line));

/**
 * A PostgreSQL restart (failover, minor upgrade, `pg_ctl restart -m fast`) under load. node-postgres
 * emits "error" on every client whose connection the server ends; one unheard emit used to end the
 * process, so every instance of a deployment died with its database's routine restart. The cluster
 * is the test's own, on a free port, so it can be restarted and stopped.
 */
describe.skipIf(!hasPostgresBinaries())("PostgreSQL restarted under a refresh storm", () => {
  let pg: PrivatePostgres;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    pg = await startPrivatePostgres();
    // Two instances on the store, talking revocations over LISTEN/NOTIFY (no Redis).
    a = await spawnServer({ DATABASE_URL: pg.url });
    b = await spawnServer({ DATABASE_URL: pg.url });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await pg?.destroy();
  });

  it("a restart mid-storm ends no process, takes no refresh for theft, and every browser refreshes afterwards", async () => {
    const browsers: GraphQLClient[] = [];
    for (let i = 0; i < BROWSERS; i++) {
      const browser = a.client();
      await signUpUser(browser);
      browsers.push(browser);
    }
    const storm = startRefreshStorm(browsers);
    await sleep(500);
    await pg.restart();
    await sleep(1_500);
    const tally = await storm.stop();

    expect(a.exited(), a.output()).toBeNull();
    expect(b.exited(), b.output()).toBeNull();
    expect(tally.ok).toBeGreaterThan(BROWSERS);
    // Failures during the restart are the generic internal error and nothing else: no theft
    // detection, no session revoked, no refresh token taken for unknown.
    expect(Object.keys(tally).filter((outcome) => outcome !== "ok" && outcome !== "INTERNAL_SERVER_ERROR")).toEqual([]);
    await expectEveryBrowserRefreshes(storm.clients, tally);
    // The detail went to the log once for the outage, not once per failed request.
    await eventually("the store declared back", () => linesMatching(a, /store reachable again/).length > 0);
    expect(linesMatching(a, /store unreachable/).length).toBe(1);
    expect(linesMatching(a, /store reachable again/).length).toBe(1);
    expect(linesMatching(a, /unexpected error|"level":50/).filter((line) => !/store unreachable/.test(line))).toEqual([]);
  });

  it("after a restart, the LISTEN connection is back: a logoutAll on one instance reaches the other's access tokens within a second", async () => {
    const listenerBack = /revocation listener.*reachable again/;
    const reconnectsBefore = linesMatching(a, listenerBack).length;
    await pg.restart();
    const owner = b.client();
    await signUpUser(owner);
    await eventually("A's revocation listener reconnecting", () => linesMatching(a, listenerBack).length > reconnectsBefore, 15_000);
    const token = owner.accessToken as string;
    await expectAccepted(a, token);

    expect((await owner.request(LOGOUT_ALL)).body.data?.logoutAll).toBeGreaterThan(0);
    await eventually("the revocation reaching instance A", async () => errorOf(await meWith(a, token)).reason === "SESSION_REVOKED");
  });

  it("/readyz is 503 while PostgreSQL is down and 200 once it is back; a refresh that failed meanwhile consumed nothing", async () => {
    const browser = a.client();
    await signUpUser(browser);
    const cookieBefore = browser.cookieHeader();
    await pg.stop();
    try {
      expect((await fetch(`${a.url}/readyz`)).status).toBe(503);
      const failed = await browser.request(REFRESH);
      expect(errorOf(failed).code).toBe("INTERNAL_SERVER_ERROR");
      expect(failed.body.errors?.[0]?.message).not.toMatch(/ECONNREFUSED|connect|postgres/i);
      expect(failed.setCookies).toEqual([]);
    } finally {
      await pg.start();
    }
    await eventually("/readyz answering 200", async () => (await fetch(`${a.url}/readyz`)).status === 200);
    expect(browser.cookieHeader()).toBe(cookieBefore);
    const retried = await browser.request(REFRESH);
    expect(retried.body.errors).toBeUndefined();
    expect(a.exited()).toBeNull();
  });
});
