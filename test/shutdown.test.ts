import SQLite from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { sqlitePath } from "../src/store/database.js";
import { createPasswordHasher, type PasswordHasher } from "../src/users/password-hasher.js";
import { LOGIN } from "./support/graphql-client.js";
import { SQLITE } from "./support/stores.js";
import { signUpUser, startTestServer } from "./support/test-server.js";

describe("graceful stop", () => {
  it("lets a running login finish before closing the store (guards against 'driver has already been destroyed' on shutdown)", async () => {
    const store = await SQLITE.create();
    // The real hasher, wrapped only to tell the test when a login has reached its hash.
    const real = createPasswordHasher();
    let hashing: () => void = () => {};
    const hashStarted = new Promise<void>((resolve) => {
      hashing = resolve;
    });
    const hasher: PasswordHasher = {
      ...real,
      verify: (stored, password) => {
        hashing();
        return real.verify(stored, password);
      },
    };
    const server = await startTestServer({ databaseUrl: store.url, hasher });
    const account = await signUpUser(server.client());

    // A login spends an argon2 hash; its client hangs up, then the app stops while it still runs.
    const hangUp = new AbortController();
    const login = fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ query: LOGIN, variables: { input: { username: account.username, password: account.password } } }),
      signal: hangUp.signal,
    }).catch(() => "aborted");
    await hashStarted;
    hangUp.abort();
    await login;
    await server.stop();

    const db = new SQLite(sqlitePath(store.url) as string, { readonly: true });
    const events = db.prepare("select type from auth_events where type = 'login_succeeded'").all();
    db.close();
    expect(events).toHaveLength(1);
    await store.drop();
  });
});
