import { setTimeout as sleep } from "node:timers/promises";
import SQLite from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GraphQLClient } from "../support/graphql-client.js";
import { expectEveryBrowserRefreshes, startRefreshStorm } from "../support/refresh-storm.js";
import { type ServerProcess, spawnServer } from "../support/server-process.js";
import { POSTGRES, SQLITE, type StoreKind, type TestStore } from "../support/stores.js";
import { signUpUser } from "../support/test-server.js";

const BROWSERS = 10;

/**
 * Two server processes on one store under a refresh storm, one of them killed with SIGKILL in the
 * middle of it: a refresh it had committed but never answered is retried on the other within the
 * grace window and converges (RFC 9700 §4.14.2 rotation, without taking the retry for theft). On
 * SQLite the two processes are concurrent writers of one file: a writer that finds the file locked
 * waits (busy timeout) instead of failing, and the file is intact after the kill.
 */
describe.each([SQLITE, ...(POSTGRES ? [POSTGRES] : [])])("an instance killed -9 mid-storm on $name", (kind: StoreKind) => {
  let store: TestStore;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    store = await kind.create();
    a = await spawnServer({ DATABASE_URL: store.url });
    b = await spawnServer({ DATABASE_URL: store.url });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a?.kill(), b?.kill()]);
    await store?.drop();
  });

  it("logs no browser out: those on the dead instance move to the other and keep refreshing; a SQLite file stays intact", async () => {
    const browsers: GraphQLClient[] = [];
    for (let i = 0; i < BROWSERS; i++) {
      const browser = (i % 2 === 0 ? a : b).client();
      await signUpUser(browser);
      browsers.push(browser);
    }
    const storm = startRefreshStorm(browsers, [a.url, b.url]);
    await sleep(1_000);
    await a.kill();
    await sleep(1_000);
    const tally = await storm.stop();

    // Two writers on one store answered every refresh: no lock error surfaced as a failure.
    expect(
      Object.keys(tally).filter((outcome) => outcome !== "ok" && outcome !== "network"),
      JSON.stringify(tally),
    ).toEqual([]);
    expect(b.exited()).toBeNull();
    for (const browser of storm.clients) expect(browser.baseUrl).toBe(b.url);
    await expectEveryBrowserRefreshes(storm.clients, tally);
    if (kind.name === "sqlite") expectIntactSqliteFile(store);
  });
});

/** SQLite's own consistency check of the whole file, read-only, after a writer was killed mid-transaction. */
function expectIntactSqliteFile(store: TestStore): void {
  const database = new SQLite(store.url.slice("sqlite:".length), { readonly: true });
  try {
    expect(database.pragma("integrity_check", { simple: true })).toBe("ok");
  } finally {
    database.close();
  }
}
