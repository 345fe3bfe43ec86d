import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, type GraphQLResponse, SIGN_UP } from "./support/graphql-client.js";
import { authorizeAt, completeOidc, newProviderAccount, oidcEnv, REDIRECT_URI, startOidc } from "./support/oidc-flow.js";
import { OidcTestProvider, type TokenEndpointMode, type TokenFault } from "./support/oidc-test-provider.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { startTestServer } from "./support/test-server.js";

/** A loopback port with nothing listening: a provider that is down. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe.each(STORES)("OpenID Connect sign-in refusals on $name", (kind) => {
  let provider: OidcTestProvider;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    provider = await OidcTestProvider.start();
    const downPort = await closedPort();
    Object.assign(env, oidcEnv(provider), {
      OIDC_PROVIDERS: "test,down",
      OIDC_DOWN_ISSUER: `http://127.0.0.1:${downPort}`,
      OIDC_DOWN_CLIENT_ID: "x",
      OIDC_DOWN_CLIENT_SECRET: "y",
    });
  });
  afterAll(async () => {
    await provider?.stop();
  });
  const fixture = serverPerSuite(kind, { env });

  function newAccount(overrides: { email_verified?: boolean } = {}) {
    return newProviderAccount(provider, `idp_${kind.name}_`, overrides);
  }

  /** Refused without a session: no refresh cookie, and the address is still free for a sign-up. */
  async function expectNothingCreated(response: GraphQLResponse, email: string) {
    expect(response.status).toBe(200);
    expect(response.setCookies.some((line) => line.startsWith(`${fixture.cookieName}=`) && !/max-age=0/i.test(line))).toBe(false);
    expect(response.body.data?.completeOidcLogin ?? null).toBeNull();
    const signUp = await fixture.server
      .client()
      .request(SIGN_UP, { input: { username: `free_${email.split("@")[0]}`, email, password: "correct horse battery staple" } });
    expect(signUp.body.errors).toBeUndefined();
  }

  it("refuses a state that does not match the one started in this browser (login CSRF), before any code is exchanged", async () => {
    const account = newAccount();
    const client = fixture.server.client();
    const callback = await authorizeAt(client, provider, account.sub);
    const before = provider.tokenRequests;
    const forged = await completeOidc(client, callback, { state: "attacker-state-0123456789" });
    expect(errorOf(forged)).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_STATE_INVALID" });
    expect(provider.tokenRequests).toBe(before);
    // The attempt used the started sign-in up: the right state no longer works either.
    expect(errorOf(await completeOidc(client, callback))).toMatchObject({ reason: "OIDC_STATE_INVALID" });
    await expectNothingCreated(forged, account.email);
  });

  it("refuses a callback completed in a browser that did not start it (no state cookie), or with another redirectUri", async () => {
    const account = newAccount();
    const client = fixture.server.client();
    const callback = await authorizeAt(client, provider, account.sub);
    const elsewhere = await completeOidc(fixture.server.client(), callback);
    expect(errorOf(elsewhere)).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_STATE_INVALID" });
    const other = await completeOidc(client, callback, { redirectUri: `${REDIRECT_URI}/` });
    expect(errorOf(other)).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_STATE_INVALID" });
    await expectNothingCreated(other, account.email);
  });

  it("refuses a replayed callback: each started sign-in completes once", async () => {
    const account = newAccount();
    const client = fixture.server.client();
    const callback = await authorizeAt(client, provider, account.sub);
    const stateCookie = client.cookies.get("oidc_state");
    const first = await completeOidc(client, callback);
    expect(first.body.errors).toBeUndefined();
    // The replaying party holds the same cookie, code and state.
    const replay = fixture.server.client();
    replay.cookies.set("oidc_state", stateCookie as string);
    expect(errorOf(await completeOidc(replay, callback))).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_STATE_INVALID" });
  });

  it.each<TokenFault>(["wrong-nonce", "bad-signature", "wrong-audience", "wrong-issuer", "expired", "alg-none"])(
    "refuses an ID token with %s as OIDC_FAILED, creating nothing",
    async (fault) => {
      const account = newAccount();
      const client = fixture.server.client();
      const callback = await authorizeAt(client, provider, account.sub);
      provider.fault = fault;
      const refused = await completeOidc(client, callback);
      expect(errorOf(refused)).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_FAILED" });
      expect(refused.body.errors?.[0]?.message).toBe("Sign-in with the provider failed");
      await expectNothingCreated(refused, account.email);
    },
  );

  it.each<TokenEndpointMode>(["hang", "garbage", "server-error"])(
    "answers OIDC_FAILED, never a 5xx, when the token endpoint does %s (bounded by OIDC_HTTP_TIMEOUT)",
    async (mode) => {
      const account = newAccount();
      const client = fixture.server.client();
      const callback = await authorizeAt(client, provider, account.sub);
      provider.tokenEndpoint = mode;
      const refused = await completeOidc(client, callback);
      expect(errorOf(refused)).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_FAILED" });
      await expectNothingCreated(refused, account.email);
    },
  );

  it("answers OIDC_FAILED, never a 5xx, when the provider is down at startOidcLogin, and sets no state cookie", async () => {
    const refused = await startOidc(fixture.server.client(), "down");
    expect(refused.status).toBe(200);
    expect(errorOf(refused)).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_FAILED" });
    expect(refused.setCookies).toEqual([]);
  });

  it("does not keep a failed discovery: the next start discovers again and works, and a good one is cached", async () => {
    const fresh = await OidcTestProvider.start();
    const server = await startTestServer({ databaseUrl: fixture.store.url, env: oidcEnv(fresh) });
    try {
      fresh.discoveryDown = true;
      expect(errorOf(await startOidc(server.client()))).toMatchObject({ code: "UNAUTHENTICATED", reason: "OIDC_FAILED" });
      expect((await startOidc(server.client())).body.data?.startOidcLogin.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/authorize\?/);
      await startOidc(server.client());
      expect(fresh.discoveries).toBe(2);
    } finally {
      await server.stop();
      await fresh.stop();
    }
  });

  it.each([
    ["a trailing slash", `${REDIRECT_URI}/`],
    ["a longer path", `${REDIRECT_URI}2`],
    ["a prefix", REDIRECT_URI.slice(0, -1)],
    ["a query", `${REDIRECT_URI}?next=https://evil.example`],
    ["an empty fragment", `${REDIRECT_URI}#`],
    ["another scheme", REDIRECT_URI.replace("http:", "https:")],
    ["another port", REDIRECT_URI.replace(":3000", ":3001")],
    ["upper-case host", REDIRECT_URI.replace("localhost", "LOCALHOST")],
    ["dot segments", "http://localhost:3000/auth/x/../callback"],
    ["userinfo", "http://localhost:3000@evil.example/auth/callback"],
    ["a subdomain", "http://localhost.evil.example:3000/auth/callback"],
  ])("refuses a redirectUri that only nearly matches (%s), setting no cookie", async (_what, redirectUri) => {
    const refused = await startOidc(fixture.server.client(), "test", redirectUri);
    expect(errorOf(refused)).toMatchObject({ code: "BAD_USER_INPUT", field: "redirectUri" });
    expect(refused.setCookies).toEqual([]);
  });

  it("refuses an unknown provider as BAD_USER_INPUT, field provider", async () => {
    expect(errorOf(await startOidc(fixture.server.client(), "nope"))).toMatchObject({ code: "BAD_USER_INPUT", field: "provider" });
  });

  it("refuses completeOidcLogin from a foreign Origin, as the other cookie-reading mutations", async () => {
    const account = newAccount();
    const client = fixture.server.client();
    const callback = await authorizeAt(client, provider, account.sub);
    const input = {
      provider: "test",
      code: callback.searchParams.get("code"),
      state: callback.searchParams.get("state"),
      redirectUri: REDIRECT_URI,
    };
    const refused = await client.request(
      "mutation C($input: CompleteOidcLoginInput!) { completeOidcLogin(input: $input) { accessToken } }",
      { input },
      { headers: { origin: "https://evil.example" } },
    );
    expect(errorOf(refused)).toMatchObject({ code: "FORBIDDEN" });
  });
});
