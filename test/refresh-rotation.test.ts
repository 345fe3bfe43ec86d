import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERIC_MESSAGE } from "../src/graphql/error-formatter.js";
import { isClearing } from "../support/set-cookie.js";
import { errorOf, type GraphQLResponse, SESSIONS } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { refreshCookieOf, refreshWith, type ServerFixture, serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { execSql } from "./support/store-sql.js";
import { POSTGRES, STORES, type TestStore } from "./support/stores.js";
import { PRODUCTION_ENV } from "./support/test-config.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";
import { userReadsDuring } from "./support/user-reads.js";

const PARALLEL = 20;

/** Checks that every response succeeded and set the same, non-clearing successor cookie; returns it. */
function expectOneSuccessor(fixture: ServerFixture, responses: readonly GraphQLResponse[], presented: string): string {
  for (const res of responses) expect(res.body.errors).toBeUndefined();
  const cookies = responses.map((res) => setRefreshCookie(fixture, res));
  for (const cookie of cookies) expect(cookie && !isClearing(cookie)).toBe(true);
  const values = new Set(cookies.map((cookie) => cookie?.value));
  expect(values.size).toBe(1);
  const [successor] = values;
  expect(successor).not.toBe(presented);
  return successor as string;
}

/** A trigger that makes every UPDATE of `sessions` fail, as a store error mid-rotation would. */
const FAILING_TRIGGER = {
  sqlite: {
    install:
      "create trigger fail_session_update before update on sessions begin select raise(abort, 'injected session write failure'); end",
    remove: "drop trigger fail_session_update",
  },
  postgres: {
    install: `create function fail_session_update() returns trigger language plpgsql as $$ begin raise exception 'injected session write failure'; end $$;
      create trigger fail_session_update before update on sessions for each row execute function fail_session_update()`,
    remove: "drop trigger fail_session_update on sessions; drop function fail_session_update()",
  },
} as const;

describe.each(STORES)("refresh rotation under concurrency on $name", (kind) => {
  const fixture = serverPerSuite(kind);

  it(`converges ${PARALLEL} parallel refreshes of one cookie on one working successor, with no cookie cleared`, async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const presented = refreshCookieOf(fixture, client);
    const responses = await Promise.all(Array.from({ length: PARALLEL }, () => refreshWith(fixture, presented)));
    const successor = expectOneSuccessor(fixture, responses, presented);

    expect((await refreshWith(fixture, successor)).body.errors).toBeUndefined();
    // No request forked the session into a second one.
    expect((await client.request(SESSIONS)).body.data?.sessions).toHaveLength(1);
  });

  it("reads the session and its owner in one statement: the new access token carries the owner as stored at the refresh", async () => {
    const client = fixture.server.client();
    const { user } = await signUpUser(client);
    await execSql(fixture.store, "update users set roles = ? where id = ?", ["USER,ADMIN", user.id]);
    const { reads, result: refreshed } = await userReadsDuring(fixture.server, () =>
      refreshWith(fixture, refreshCookieOf(fixture, client)),
    );
    expect(refreshed.body.errors).toBeUndefined();
    expect(claimsOf(refreshed.body.data.refreshToken.accessToken).roles).toEqual(["USER", "ADMIN"]);
    expect(reads).toBe(0);
  });
});

describe.each(STORES)("a refresh whose store write fails on $name", (kind) => {
  // Production, so the response shows what a deployment would: a generic message.
  const fixture = serverPerSuite(kind, { env: PRODUCTION_ENV });

  it("answers INTERNAL_SERVER_ERROR with a generic message and consumes nothing: the same token refreshes afterwards", async () => {
    const client = fixture.server.client();
    await signUpUser(client);
    const presented = refreshCookieOf(fixture, client);
    const trigger = FAILING_TRIGGER[kind.name];

    await execSql(fixture.store, trigger.install);
    let failed: GraphQLResponse;
    try {
      failed = await refreshWith(fixture, presented);
    } finally {
      await execSql(fixture.store, trigger.remove);
    }
    expect(errorOf(failed)).toMatchObject({ code: "INTERNAL_SERVER_ERROR" });
    expect(failed.body.errors?.[0]?.message).toBe(GENERIC_MESSAGE);
    expect(JSON.stringify(failed.body)).not.toContain("injected");
    expect(setRefreshCookie(fixture, failed)).toBeUndefined();

    const retried = await refreshWith(fixture, presented);
    expect(retried.body.errors).toBeUndefined();
    const successor = setRefreshCookie(fixture, retried)?.value as string;
    expect((await refreshWith(fixture, successor)).body.errors).toBeUndefined();
  });
});

describe.skipIf(!POSTGRES)("refresh rotation across two app instances sharing PostgreSQL", () => {
  let store: TestStore | undefined;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    if (!POSTGRES) return;
    store = await POSTGRES.create();
    for (let i = 0; i < 2; i += 1) servers.push(await startTestServer({ databaseUrl: store.url }));
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await store?.drop();
  });

  it(`converges ${PARALLEL} parallel refreshes split over both instances on one working successor`, async () => {
    const [first, second] = servers as [TestServer, TestServer];
    const fixture: ServerFixture = { store: store as TestStore, server: first, cookieName: first.app.services.refreshCookie.name };
    const client = first.client();
    await signUpUser(client);
    const presented = refreshCookieOf(fixture, client);

    const responses = await Promise.all(
      Array.from({ length: PARALLEL }, (_, i) => refreshWith(fixture, presented, i % 2 === 0 ? first : second)),
    );
    const successor = expectOneSuccessor(fixture, responses, presented);
    expect((await refreshWith(fixture, successor, second)).body.errors).toBeUndefined();
  });
});
