import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { openStore } from "../src/store/database.js";
import { migrateTo } from "../src/store/migrations.js";
import { createPasswordHasher } from "../src/users/password-hasher.js";
import { errorOf, type GraphQLClient, LOGIN, ME, REFRESH, SIGN_UP } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { catcherPerSuite, MailCatcher } from "./support/mail-catcher.js";
import { ManualClock } from "./support/manual-clock.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { execSql, querySql } from "./support/store-sql.js";
import { STORES, type TestStore } from "./support/stores.js";
import { logInUser, signUpUser, startTestServer } from "./support/test-server.js";

const VERIFY = "mutation Verify($token: String!) { verifyEmail(token: $token) }";
const RESEND = "mutation { resendVerificationEmail }";
const CHANGE = "mutation Change($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }";
const DELETE = "mutation Delete($currentPassword: String!) { deleteAccount(currentPassword: $currentPassword) }";
const ME_VERIFIED = "query { me { email emailVerified } }";
const VERIFY_MAIL = /Confirm your email address/;
const VERIFY_PAGE = "https://app.example.test/verify-email";

let ipCounter = 0;
/** Each test speaks from its own address (TRUST_PROXY=loopback), so per-IP limits stay apart. */
const freshIp = () => ({ headers: { "x-forwarded-for": `192.0.2.${++ipCounter}` } });

describe.each(STORES)("email verification, email change and account deletion on $name", (kind) => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const secrets = new Set<string>();
  const smtp = catcherPerSuite();
  const fixture = serverPerSuite(kind, {
    clock,
    logger: createLogger("debug", { write: (line: string) => void lines.push(line) }),
    get env() {
      return { SMTP_URL: smtp().url, EMAIL_VERIFICATION_URL: VERIFY_PAGE, TRUST_PROXY: "loopback" };
    },
  });

  const verify = (token: string) => fixture.server.client().request(VERIFY, { token }, freshIp());
  async function linkIn(email: string, n = 1): Promise<string> {
    const token = MailCatcher.tokenOf(await smtp().nth(email, VERIFY_MAIL, n));
    secrets.add(token);
    return token;
  }
  async function account(): Promise<{ client: GraphQLClient; username: string; email: string; password: string; id: string }> {
    const client = fixture.server.client();
    const user = await signUpUser(client);
    secrets.add(user.password);
    return { client, ...user, id: user.user.id };
  }

  it("signUp mails a link; verifyEmail needs no access token; the claim email_verified follows on refresh", async () => {
    const { client, email } = await account();
    expect((await client.request(ME_VERIFIED)).body.data.me).toEqual({ email, emailVerified: false });
    const before = client.accessToken as string;
    expect(claimsOf(before).email_verified).toBe(false);
    const token = await linkIn(email);
    expect(smtp().to(email, VERIFY_MAIL)[0]?.link?.startsWith(`${VERIFY_PAGE}?token=`)).toBe(true);
    expect((await verify(token)).body).toEqual({ data: { verifyEmail: true } });
    expect((await client.request(ME_VERIFIED)).body.data.me.emailVerified).toBe(true);
    // A token made before keeps its value until the next refresh.
    expect(claimsOf(before).email_verified).toBe(false);
    const refreshed = await client.request(REFRESH);
    expect(claimsOf(refreshed.body.data.refreshToken.accessToken).email_verified).toBe(true);
    expect(errorOf(await verify(token))).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "LINK_USED" });
    expect((await client.request(RESEND)).body.data).toEqual({ resendVerificationEmail: false });
  });

  it("resendVerificationEmail mails a new link and voids the earlier one; 3 per hour per account", async () => {
    const { client, email } = await account();
    const first = await linkIn(email, 1);
    expect((await client.request(RESEND)).body.data).toEqual({ resendVerificationEmail: true });
    const second = await linkIn(email, 2);
    expect(errorOf(await verify(first)).reason).toBe("LINK_USED");
    expect((await client.request(RESEND)).body.data).toEqual({ resendVerificationEmail: true });
    expect((await client.request(RESEND)).body.data).toEqual({ resendVerificationEmail: true });
    expect(errorOf(await client.request(RESEND)).code).toBe("RATE_LIMITED");
    expect(errorOf(await verify(second)).reason).toBe("LINK_USED");
    expect(errorOf(await fixture.server.client().request(RESEND)).code).toBe("UNAUTHENTICATED");
  });

  it("a verification link older than EMAIL_VERIFICATION_TTL is LINK_EXPIRED; hostile tokens are LINK_INVALID", async () => {
    const { email } = await account();
    const token = await linkIn(email);
    clock.advance(24 * 3_600_000 + 1);
    expect(errorOf(await verify(token))).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "LINK_EXPIRED" });
    for (const hostile of ["", "x".repeat(4096), "\u0000\u0001", "C".repeat(43)]) {
      const res = await verify(hostile);
      expect(res.status).toBe(200);
      expect(errorOf(res)).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "LINK_INVALID" });
    }
  });

  it("requestEmailChange checks the password and the new address, then changes it only when the link is used, ending the other sessions", async () => {
    const { client, username, email, password } = await account();
    const other = fixture.server.client();
    await logInUser(other, username, password);
    const taken = (await account()).email;
    const change = (newEmail: string, currentPassword = password) => client.request(CHANGE, { input: { newEmail, currentPassword } });
    const newEmail = `moved-${Date.now()}@example.org`;

    expect(errorOf(await change(newEmail, "not my password at all"))).toMatchObject({
      code: "UNAUTHENTICATED",
      reason: "INVALID_CREDENTIALS",
    });
    expect(errorOf(await change("not-an-address"))).toMatchObject({ code: "BAD_USER_INPUT", field: "newEmail" });
    expect(errorOf(await change(taken.toUpperCase()))).toMatchObject({ code: "BAD_USER_INPUT", field: "newEmail" });
    expect((await change(newEmail)).body.data).toEqual({ requestEmailChange: true });

    const notice = await smtp().nth(email, /about to change/);
    expect(notice.text).not.toContain(newEmail);
    const token = await linkIn(newEmail);
    expect((await client.request(ME_VERIFIED)).body.data.me.email).toBe(email);

    expect((await verify(token)).body.data).toEqual({ verifyEmail: true });
    expect((await client.request(ME_VERIFIED)).body.data.me).toEqual({ email: newEmail, emailVerified: true });
    expect(errorOf(await other.request(ME))).toMatchObject({ reason: "SESSION_REVOKED" });
    await logInUser(fixture.server.client(), newEmail, password);
    // The old address is free again.
    const reuse = await fixture.server.client().request(SIGN_UP, { input: { username: `${username}x`, email, password } });
    expect(reuse.body.errors).toBeUndefined();
  });

  it("a change whose new address another account took meanwhile is BAD_USER_INPUT EMAIL_TAKEN and changes nothing", async () => {
    const { client, email, password } = await account();
    const newEmail = `contested-${Date.now()}@example.org`;
    expect((await client.request(CHANGE, { input: { newEmail, currentPassword: password } })).body.data).toBeTruthy();
    const token = await linkIn(newEmail);
    const squatter = await fixture.server.client().request(SIGN_UP, { input: { username: `sq${Date.now()}`, email: newEmail, password } });
    expect(squatter.body.errors).toBeUndefined();
    expect(errorOf(await verify(token))).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "EMAIL_TAKEN" });
    expect((await client.request(ME_VERIFIED)).body.data.me.email).toBe(email);
  });

  it("deleteAccount (GDPR Art. 17): ends every session, erases the account, keeps anonymous audit events, frees the names, mails a notice", async () => {
    const { client, username, email, password, id } = await account();
    const other = fixture.server.client();
    await logInUser(other, username, password);
    expect(errorOf(await client.request(DELETE, { currentPassword: "wrong password here" }))).toMatchObject({
      reason: "INVALID_CREDENTIALS",
    });
    expect((await client.request(DELETE, { currentPassword: password })).body.data).toEqual({ deleteAccount: true });
    for (const device of [client, other]) {
      expect(errorOf(await device.request(ME))).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
      // What `me` answers from the token alone is refused too: the deletion revoked the sessions.
      expect(errorOf(await device.request("query { me { id username } }"))).toMatchObject({ reason: "SESSION_REVOKED" });
      expect(errorOf(await device.request(REFRESH)).code).toBe("UNAUTHENTICATED");
    }
    await smtp().nth(email, /account was deleted/);
    const store = fixture.store;
    expect(await querySql(store, "select id from users where id = ?", [id])).toEqual([]);
    expect(await querySql(store, "select id from sessions where user_id = ?", [id])).toEqual([]);
    expect(await querySql(store, "select id from account_links where user_id = ?", [id])).toEqual([]);
    expect(await querySql(store, "select id from mail_outbox where user_id = ?", [id])).toEqual([]);
    const events = await querySql<{ type: string; ip_address: unknown; user_agent: unknown }>(
      store,
      "select type, ip_address, user_agent from auth_events where user_id = ?",
      [id],
    );
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(["signup", "login_succeeded", "account_deleted"]));
    for (const event of events) expect([event.ip_address, event.user_agent]).toEqual([null, null]);
    const again = await fixture.server.client().request(SIGN_UP, { input: { username, email, password } });
    expect(again.body.errors).toBeUndefined();
  });

  it("no log line holds a verification token, a link or a password (ASVS 16.2.5)", () => {
    expect(secrets.size).toBeGreaterThan(5);
    const log = lines.join("\n");
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toContain(VERIFY_PAGE);
  });
});

describe.each(STORES)("a $name store holding users from before email verification", (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await kind.create();
  });
  afterAll(() => store.drop());

  it("migrates them to the latest schema as unverified, and they still log in", async () => {
    const old = await openStore(store.url, createLogger("silent"));
    await migrateTo(old.db, old.dialect, "0002_auth_events");
    await old.close();
    const hash = await createPasswordHasher().hash("an old account passphrase");
    await execSql(
      store,
      "insert into users (id, username, username_key, email, email_key, password_hash, roles, created_at, updated_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ["00000000-0000-4000-8000-000000000001", "Oldtimer", "oldtimer", "old@example.com", "old@example.com", hash, "USER", 1, 1],
    );
    const server = await startTestServer({ databaseUrl: store.url });
    try {
      const client = server.client();
      const res = await client.request(LOGIN, { input: { username: "oldtimer", password: "an old account passphrase" } });
      expect(res.body.errors).toBeUndefined();
      client.accessToken = res.body.data.login.accessToken;
      expect(claimsOf(client.accessToken as string).email_verified).toBe(false);
      expect((await client.request(ME_VERIFIED)).body.data.me).toEqual({ email: "old@example.com", emailVerified: false });
    } finally {
      await server.stop();
    }
  });
});
