import type { TypedDocumentNode } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import { describe, expect, it } from "vitest";
import {
  type AuthFetch,
  createAuthFetch,
  LoginDocument,
  LogoutAllDocument,
  LogoutDocument,
  MeDocument,
  type SessionEndReason,
  SignUpDocument,
  VerifyMfaDocument,
} from "../client/src/index.js";
import { CookieJarFetch } from "./support/cookie-jar-fetch.js";
import { ManualClock } from "./support/manual-clock.js";
import { enableMfa, totpCode } from "./support/mfa-steps.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { SQLITE } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const TTL_MS = 10 * 60_000;
/** Past the token's life and the verifier's 5 s clock tolerance. */
const PAST_EXPIRY = TTL_MS + 10_000;

interface Answer<R> {
  data?: R | null;
  errors?: { extensions?: { code?: string; reason?: string; mfaToken?: string } }[];
}

/** A device: its own cookie jar, and a client whose clock is the server's unless told otherwise. */
function device(url: string, now: () => number) {
  const jar = new CookieJarFetch();
  const ended: SessionEndReason[] = [];
  const auth = createAuthFetch({ url: `${url}/graphql`, fetch: jar.fetch, now, onSessionEnd: (reason) => ended.push(reason) });
  return { jar, auth, ended };
}

/** What an app's GraphQL client does with a typed document, through auth.fetch. */
async function send<R, V>(auth: AuthFetch, url: string, document: TypedDocumentNode<R, V>, variables?: V): Promise<Answer<R>> {
  const response = await auth.fetch(`${url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query: print(document), variables }),
  });
  return (await response.json()) as Answer<R>;
}

const reasonOf = (answer: Answer<unknown>) => answer.errors?.[0]?.extensions?.reason;

let counter = 0;
function newUser() {
  counter += 1;
  const username = `client${process.pid}_${counter}`;
  return { username, email: `${username}@example.com`, password: "correct horse battery staple" };
}

describe("createAuthFetch against the real server", () => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(SQLITE, { clock, env: { ACCESS_TOKEN_TTL: "10m" } });
  const url = () => fixture.server.url;

  /** A device signed up through auth.fetch, which learned the token from the signUp answer. */
  async function signedUp(now: () => number = () => clock.now()) {
    const d = device(url(), now);
    const input = newUser();
    const answer = await send(d.auth, url(), SignUpDocument, { input });
    expect(answer.data?.signUp.accessToken).toBe(d.auth.getAccessToken());
    return { ...d, input };
  }

  it("learns the token from signUp and sends it as a bearer token, so typed documents need no token handling", async () => {
    const { auth, jar } = await signedUp();
    const me = await send(auth, url(), MeDocument);
    expect(me.data?.me.id).toBeTruthy();
    expect(jar.sent.at(-1)?.authorization).toBe(`Bearer ${auth.getAccessToken()}`);
  });

  it("single flight: ten requests after expiry share one refreshToken call, then each is retried once and succeeds", async () => {
    // The client's clock stands still while the server's moves, so only the server's answer tells it the token expired.
    const frozen = clock.now();
    const { auth, jar } = await signedUp(() => frozen);
    const before = auth.getAccessToken();
    clock.advance(PAST_EXPIRY);
    const answers = await Promise.all(Array.from({ length: 10 }, () => send(auth, url(), MeDocument)));
    for (const answer of answers) expect(answer.data?.me.id).toBeTruthy();
    expect(jar.count("refreshToken")).toBe(1);
    expect(jar.count("me")).toBe(20);
    expect(auth.getAccessToken()).not.toBe(before);
  });

  it("retries once only: when the retried request is refused again, that answer is handed back and nothing loops", async () => {
    const frozen = clock.now();
    const { auth, jar } = await signedUp(() => frozen);
    clock.advance(PAST_EXPIRY);
    // Every new token expires on the server the moment it is issued.
    jar.afterResponse = (request) => {
      if (/refreshToken/.test(request.query)) clock.advance(PAST_EXPIRY);
    };
    const answer = await send(auth, url(), MeDocument);
    expect(reasonOf(answer)).toBe("TOKEN_EXPIRED");
    expect(jar.count("refreshToken")).toBe(1);
    expect(jar.count("me")).toBe(2);
  });

  it("refreshes ahead when under 10% of the token's life is left, and not before", async () => {
    const { auth, jar } = await signedUp();
    const first = auth.getAccessToken();
    clock.advance(TTL_MS * 0.85);
    await send(auth, url(), MeDocument);
    expect(jar.count("refreshToken")).toBe(0);
    clock.advance(TTL_MS * 0.1);
    const answer = await send(auth, url(), MeDocument);
    expect(answer.data?.me.id).toBeTruthy();
    expect(jar.count("refreshToken")).toBe(1);
    // The request went out once, after the refresh, with the new token.
    expect(jar.count("me")).toBe(2);
    expect(jar.sent.at(-1)?.authorization).toBe(`Bearer ${auth.getAccessToken()}`);
    expect(auth.getAccessToken()).not.toBe(first);
  });

  it("a failed refresh ends the session: onSessionEnd once with the reason, token forgotten, the original answer handed back", async () => {
    const frozen = clock.now();
    const { auth, jar, ended } = await signedUp(() => frozen);
    jar.cookies.clear();
    clock.advance(PAST_EXPIRY);
    const answers = await Promise.all([send(auth, url(), MeDocument), send(auth, url(), MeDocument)]);
    for (const answer of answers) expect(reasonOf(answer)).toBe("TOKEN_EXPIRED");
    expect(ended).toEqual(["REFRESH_MISSING"]);
    expect(auth.getAccessToken()).toBeNull();
    expect(jar.count("refreshToken")).toBe(1);
    // Later requests try one refresh each, and end nothing twice.
    expect(reasonOf(await send(auth, url(), MeDocument))).toBe("TOKEN_MISSING");
    expect(await auth.refresh()).toBeNull();
    expect(ended).toEqual(["REFRESH_MISSING"]);
    expect(jar.count("refreshToken")).toBe(3);
  });

  it("logoutAll from another device: SESSION_REVOKED ends the session here once, with no refresh attempted", async () => {
    const { auth, jar, ended, input } = await signedUp();
    const other = device(url(), () => clock.now());
    await send(other.auth, url(), LoginDocument, { input: { username: input.username, password: input.password } });
    expect((await send(other.auth, url(), LogoutAllDocument)).data?.logoutAll).toBe(2);
    expect(other.ended).toEqual(["LOGGED_OUT"]);

    const answer = await send(auth, url(), MeDocument);
    expect(reasonOf(answer)).toBe("SESSION_REVOKED");
    expect(ended).toEqual(["SESSION_REVOKED"]);
    expect(auth.getAccessToken()).toBeNull();
    expect(jar.count("refreshToken")).toBe(0);
    // The cookie's session is over too: a refresh now is refused and tells no one again.
    expect(await auth.refresh()).toBeNull();
    expect(ended).toEqual(["SESSION_REVOKED"]);
  });

  it("a replayed, already rotated cookie ends the session with REFRESH_REUSED", async () => {
    const { auth, jar, ended } = await signedUp();
    const [name, stolen] = [...jar.cookies][0] ?? [];
    expect(await auth.refresh()).toBeTruthy();
    clock.advance(60_000); // past the reuse grace
    jar.cookies.set(name ?? "", stolen ?? "");
    expect(await auth.refresh()).toBeNull();
    expect(ended).toEqual(["REFRESH_REUSED"]);
  });

  it("logout forgets the token whether sent as a document or through auth.logout; both report LOGGED_OUT once", async () => {
    const a = await signedUp();
    expect((await send(a.auth, url(), LogoutDocument)).data?.logout).toBe(true);
    expect(a.auth.getAccessToken()).toBeNull();
    expect(a.ended).toEqual(["LOGGED_OUT"]);

    const b = await signedUp();
    await b.auth.logout();
    expect(b.auth.getAccessToken()).toBeNull();
    expect(b.ended).toEqual(["LOGGED_OUT"]);
    expect(b.jar.cookies.size).toBe(0);
  });

  it("hands a refused login back untouched: no refresh, no session end", async () => {
    const { username } = newUser();
    const d = device(url(), () => clock.now());
    const answer = await send(d.auth, url(), LoginDocument, { input: { username, password: "not the password at all" } });
    expect(reasonOf(answer)).toBe("INVALID_CREDENTIALS");
    expect(d.jar.sent).toHaveLength(1);
    expect(d.ended).toEqual([]);
  });

  it("hands login's MFA_REQUIRED to the app with its mfaToken (no refresh, no session end); verifyMfa through auth.fetch completes the login", async () => {
    const owner = fixture.server.client();
    const account = await signUpUser(owner);
    const { secret } = await enableMfa(owner, account.password, clock);
    const d = device(url(), () => clock.now());
    const challenged = await send(d.auth, url(), LoginDocument, { input: { username: account.username, password: account.password } });
    expect(reasonOf(challenged)).toBe("MFA_REQUIRED");
    const mfaToken = challenged.errors?.[0]?.extensions?.mfaToken as string;
    expect(mfaToken).toEqual(expect.any(String));
    expect(d.auth.getAccessToken()).toBeNull();
    expect(d.jar.sent).toHaveLength(1);
    expect(d.ended).toEqual([]);

    const verified = await send(d.auth, url(), VerifyMfaDocument, { input: { mfaToken, code: totpCode(secret, clock) } });
    expect(verified.data?.verifyMfa.accessToken).toBe(d.auth.getAccessToken());
    const me = await send(d.auth, url(), MeDocument);
    expect(me.data?.me.username).toBe(account.username);
    expect(d.jar.sent.at(-1)?.authorization).toBe(`Bearer ${d.auth.getAccessToken()}`);
    expect(d.jar.cookies.size).toBe(1);
  });
});
