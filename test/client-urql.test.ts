import { Client, cacheExchange, fetchExchange } from "@urql/core";
import { describe, expect, it } from "vitest";
import { createAuthFetch, MeDocument, SignUpDocument } from "../client/src/index.js";
import { CookieJarFetch } from "./support/cookie-jar-fetch.js";
import { ManualClock } from "./support/manual-clock.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { SQLITE } from "./support/stores.js";

describe("auth.fetch as urql's fetch, against the real server", () => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(SQLITE, { clock, env: { ACCESS_TOKEN_TTL: "10m" } });

  it("urql's typed documents go through it: the token learned from signUp, sent with me, refreshed once after expiry", async () => {
    const url = `${fixture.server.url}/graphql`;
    const jar = new CookieJarFetch();
    const auth = createAuthFetch({ url, fetch: jar.fetch, now: () => clock.now() });
    // The set-up client/README.md shows. urql sends queries as GET by default, which the API's CSRF
    // prevention refuses without a preflight header: POST everything.
    const client = new Client({ url, exchanges: [cacheExchange, fetchExchange], fetch: auth.fetch, preferGetMethod: false });

    const username = `urql${process.pid}`;
    const input = { username, email: `${username}@example.com`, password: "correct horse battery staple" };
    const signedUp = await client.mutation(SignUpDocument, { input }).toPromise();
    expect(signedUp.data?.signUp.accessToken).toBe(auth.getAccessToken());

    const me = await client.query(MeDocument, {}, { requestPolicy: "network-only" }).toPromise();
    expect(me.error).toBeUndefined();
    expect(me.data?.me.username).toBe(username);

    const before = auth.getAccessToken();
    clock.advance(10 * 60_000 + 10_000);
    const again = await client.query(MeDocument, {}, { requestPolicy: "network-only" }).toPromise();
    expect(again.data?.me.username).toBe(username);
    expect(jar.count("refreshToken")).toBe(1);
    expect(auth.getAccessToken()).not.toBe(before);
  });
});
