import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ME, REFRESH } from "./support/graphql-client.js";
import { STORES, type TestStore } from "./support/stores.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

describe.each(STORES)("smoke on $name", (kind) => {
  let store: TestStore;
  let server: TestServer;
  beforeAll(async () => {
    store = await kind.create();
    server = await startTestServer({ databaseUrl: store.url });
  });
  afterAll(async () => {
    await server?.stop();
    await store?.drop();
  });

  it("signs up, reads me, refreshes", async () => {
    const client = server.client();
    const { username } = await signUpUser(client);
    const me = await client.request(ME);
    expect(me.body.data.me.username).toBe(username);
    const refreshed = await client.request(REFRESH, undefined, { token: "" });
    expect(refreshed.body.errors).toBeUndefined();
    expect(refreshed.body.data.refreshToken.accessToken).toMatch(/^ey/);
  });
});
