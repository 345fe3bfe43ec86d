import { afterAll, beforeAll } from "vitest";
import { findSetCookie, type SetCookie } from "../../support/set-cookie.js";
import { type GraphQLClient, type GraphQLResponse, REFRESH } from "./graphql-client.js";
import type { StoreKind, TestStore } from "./stores.js";
import { startTestServer, type TestServer, type TestServerOptions } from "./test-server.js";

export interface ServerFixture {
  readonly store: TestStore;
  readonly server: TestServer;
  /** The refresh cookie's name on this server. */
  readonly cookieName: string;
}

/**
 * A fresh store and a server on it for the enclosing `describe`, started before its tests and
 * stopped (and the store dropped) after them. Read the fields inside tests, not at collection.
 */
export function serverPerSuite(kind: StoreKind, options: TestServerOptions = {}): ServerFixture {
  let store: TestStore | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    store = await kind.create();
    server = await startTestServer({ databaseUrl: store.url, ...options });
  });
  afterAll(async () => {
    await server?.stop();
    await store?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the suite's server is not running yet");
    return value;
  };
  return {
    get store() {
      return ready(store);
    },
    get server() {
      return ready(server);
    },
    get cookieName() {
      return ready(server).app.services.refreshCookie.name;
    },
  };
}

/**
 * A fresh store for the enclosing `describe` and at most one server on it at a time: each call of
 * the returned function stops the running server and starts another on the same store with `base`
 * and then `env` set, as an operator restarts with new settings (rotated keys, another algorithm);
 * `options` (a clock, a logger) go to every server it starts.
 */
export function restartingServerPerSuite(
  kind: StoreKind,
  base: Record<string, string> = {},
  options: Omit<TestServerOptions, "env"> = {},
): (env: Record<string, string>) => Promise<TestServer> {
  let store: TestStore | undefined;
  let server: TestServer | undefined;
  beforeAll(async () => {
    store = await kind.create();
  });
  afterAll(async () => {
    await server?.stop();
    await store?.drop();
  });
  return async (env) => {
    await server?.stop();
    server = undefined;
    if (store === undefined) throw new Error("the suite's store is not created yet");
    server = await startTestServer({ ...options, databaseUrl: store.url, env: { ...base, ...env } });
    return server;
  };
}

/** The refresh token a client's jar holds on this server. */
export function refreshCookieOf(fixture: ServerFixture, client: GraphQLClient): string {
  const value = client.cookies.get(fixture.cookieName);
  if (value === undefined) throw new Error("the client holds no refresh cookie");
  return value;
}

/** Presents exactly this refresh token, from a client with no other state, as a replaying party would. */
export function refreshWith(fixture: ServerFixture, token: string, server: TestServer = fixture.server): Promise<GraphQLResponse> {
  return server.client().request(REFRESH, undefined, { cookie: `${fixture.cookieName}=${token}` });
}

/** The refresh cookie a response sets on this server, if any. */
export function setRefreshCookie(fixture: ServerFixture, response: GraphQLResponse): SetCookie | undefined {
  return findSetCookie(response.setCookies, fixture.cookieName);
}
