import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { createPasswordHasher, type PasswordHasher } from "../src/users/password-hasher.js";
import { errorOf, type GraphQLClient, LOGIN, ME, REFRESH } from "./support/graphql-client.js";
import { catcherPerSuite, MailCatcher } from "./support/mail-catcher.js";
import { ManualClock } from "./support/manual-clock.js";
import { enableMfa, mfaTokenFor, STEP_MS, totpCode, verifyMfa } from "./support/mfa-steps.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { logInUser, signUpUser } from "./support/test-server.js";

const REQUEST = "mutation Request($email: String!) { requestPasswordReset(email: $email) }";
const RESET = "mutation Reset($input: ResetPasswordInput!) { resetPassword(input: $input) }";
const NEW_PASSWORD = "freshly reset passphrase 8812";
const RESET_MAIL = /Reset your password/;
const NOTICE = /password was changed/;
const RESET_PAGE = "https://app.example.test/reset-password";

let ipCounter = 0;
/** Each test speaks from its own address (TRUST_PROXY=loopback), so the per-IP limits of one test never reach the next. */
const freshIp = () => `198.51.100.${++ipCounter}`;

describe.each(STORES)("password reset by mail on $name (OWASP Forgot Password Cheat Sheet, ASVS 6.4)", (kind) => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const secrets = new Set<string>([NEW_PASSWORD]);
  /** argon2 work done, so the unknown-address path can be shown to cost the same as the known one. */
  const hashing = { hash: 0, verify: 0 };
  const real = createPasswordHasher();
  const hasher: PasswordHasher = {
    ...real,
    warmUp: () => real.warmUp(),
    needsRehash: (hash) => real.needsRehash(hash),
    hash: (password) => {
      hashing.hash += 1;
      return real.hash(password);
    },
    verify: (hash, password) => {
      hashing.verify += 1;
      return real.verify(hash, password);
    },
  };
  const smtp = catcherPerSuite();
  const fixture = serverPerSuite(kind, {
    clock,
    hasher,
    logger: createLogger("debug", { write: (line: string) => void lines.push(line) }),
    get env() {
      return { SMTP_URL: smtp().url, PASSWORD_RESET_URL: RESET_PAGE, PASSWORD_RESET_TTL: "30m", TRUST_PROXY: "loopback" };
    },
  });

  const from = (ip: string) => ({ headers: { "x-forwarded-for": ip } });
  const request = (email: string, ip = freshIp()) => fixture.server.client().request(REQUEST, { email }, from(ip));
  const reset = (token: string, newPassword = NEW_PASSWORD, ip = freshIp()) =>
    fixture.server.client().request(RESET, { input: { token, newPassword } }, from(ip));

  /** A new account, and the token of the nth reset link mailed to it after a request. */
  async function requestLink(email: string, n = 1): Promise<string> {
    const res = await request(email);
    expect(res.body).toEqual({ data: { requestPasswordReset: true } });
    const token = MailCatcher.tokenOf(await smtp().nth(email, RESET_MAIL, n));
    secrets.add(token);
    return token;
  }

  async function account(): Promise<{ client: GraphQLClient; username: string; email: string; password: string }> {
    const client = fixture.server.client();
    const user = await signUpUser(client);
    secrets.add(user.password);
    return { client, ...user };
  }

  it("mails a link to the frontend page; the reset sets the password, ends every session and mails a notice, without logging in", async () => {
    const { client, username, email, password } = await account();
    const other = fixture.server.client();
    await logInUser(other, username, password);
    const token = await requestLink(email.toUpperCase());
    const mail = smtp().to(email, RESET_MAIL)[0];
    expect(mail?.link?.startsWith(`${RESET_PAGE}?token=`)).toBe(true);
    expect(mail?.html).toContain(RESET_PAGE);
    expect(Buffer.from(token, "base64url").length).toBeGreaterThanOrEqual(16);
    // Asking changes nothing: the old password still works until a reset is completed.
    await logInUser(fixture.server.client(), username, password);

    const res = await reset(token);
    expect(res.body).toEqual({ data: { resetPassword: true } });
    expect(res.setCookies).toEqual([]);
    for (const device of [client, other]) {
      expect(errorOf(await device.request(ME))).toMatchObject({ code: "UNAUTHENTICATED", reason: "SESSION_REVOKED" });
      expect(errorOf(await device.request(REFRESH))).toMatchObject({ code: "UNAUTHENTICATED" });
    }
    const old = await fixture.server.client().request(LOGIN, { input: { username, password } });
    expect(errorOf(old)).toMatchObject({ code: "UNAUTHENTICATED", reason: "INVALID_CREDENTIALS" });
    const fresh = fixture.server.client();
    await logInUser(fresh, username, NEW_PASSWORD);
    // The link reached the mailbox, which proves the address.
    expect((await fresh.request("query { me { emailVerified } }")).body.data).toEqual({ me: { emailVerified: true } });
    const notice = await smtp().nth(email, NOTICE);
    expect(notice.text).not.toContain(token);
  });

  it("voids a login step opened with the old password: its mfaToken is MFA_TOKEN_INVALID after the reset, and MFA stays on", async () => {
    const { client, username, email, password } = await account();
    const { secret } = await enableMfa(client, password, clock);
    const device = fixture.server.client();
    const pending = await mfaTokenFor(device, username, password);
    await reset(await requestLink(email));
    clock.advance(STEP_MS);
    expect(errorOf(await verifyMfa(device, pending, totpCode(secret, clock))).reason).toBe("MFA_TOKEN_INVALID");
    const again = await device.request(LOGIN, { input: { username, password: NEW_PASSWORD } });
    expect(errorOf(again).reason).toBe("MFA_REQUIRED");
  });

  it("a link works once (LINK_USED), and a newer link makes the earlier one LINK_USED", async () => {
    const { email } = await account();
    const first = await requestLink(email, 1);
    const second = await requestLink(email, 2);
    expect(errorOf(await reset(first))).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "LINK_USED" });
    expect((await reset(second)).body.data).toEqual({ resetPassword: true });
    expect(errorOf(await reset(second, "yet another passphrase 4410"))).toEqual({
      code: "BAD_USER_INPUT",
      field: "token",
      reason: "LINK_USED",
    });
  });

  it("a link older than PASSWORD_RESET_TTL is LINK_EXPIRED", async () => {
    const { email } = await account();
    const token = await requestLink(email);
    clock.advance(30 * 60_000 + 1);
    expect(errorOf(await reset(token))).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "LINK_EXPIRED" });
  });

  it("a refused weak password names newPassword and leaves the link usable", async () => {
    const { email, username } = await account();
    const token = await requestLink(email);
    for (const weak of ["password", "short", username]) {
      expect(errorOf(await reset(token, weak))).toMatchObject({ code: "BAD_USER_INPUT", field: "newPassword" });
    }
    expect((await reset(token)).body.data).toEqual({ resetPassword: true });
  });

  it.each([
    ["empty", ""],
    ["4 KB long", "A".repeat(4096)],
    ["holding a NUL", `${"A".repeat(21)}\u0000${"A".repeat(21)}`],
    ["holding a newline", `${"A".repeat(42)}\n`],
    ["well-formed but never issued", "A".repeat(43)],
  ])("a token %s is BAD_USER_INPUT LINK_INVALID, never a 5xx", async (_name, token) => {
    const res = await reset(token);
    expect(res.status).toBe(200);
    expect(errorOf(res)).toEqual({ code: "BAD_USER_INPUT", field: "token", reason: "LINK_INVALID" });
  });

  it("an address with no account gets the same answer, no mail, and the same argon2 work as one with an account", async () => {
    const { email } = await account();
    const unknown = `nobody-${Date.now()}@example.com`;
    const before = { ...hashing };
    const known = await request(email);
    const afterKnown = { ...hashing };
    const stranger = await request(unknown);
    expect(stranger.body).toEqual(known.body);
    expect(stranger.status).toBe(known.status);
    // Neither path hashes a password: no timing difference from argon2 either way.
    expect(afterKnown).toEqual(before);
    expect(hashing).toEqual(before);
    await smtp().nth(email, RESET_MAIL);
    expect(smtp().to(unknown)).toEqual([]);
  });

  it("a malformed address is BAD_USER_INPUT on email", async () => {
    for (const email of ["not-an-address", "a@b", `${"x".repeat(250)}@example.com`, "bad\u0000@example.com"]) {
      expect(errorOf(await request(email))).toMatchObject({ code: "BAD_USER_INPUT", field: "email" });
    }
  });

  it("limits: 5 requests per address per hour, whether or not it has an account, and 20 per IP", async () => {
    const { email } = await account();
    const unknown = `limited-${Date.now()}@example.com`;
    for (const address of [email, unknown]) {
      for (let i = 0; i < 5; i++) expect((await request(address)).body.data).toEqual({ requestPasswordReset: true });
      const refused = await request(address);
      expect(errorOf(refused).code).toBe("RATE_LIMITED");
      expect(refused.status).toBe(429);
    }
    const ip = freshIp();
    for (let i = 0; i < 20; i++) expect((await request(`spray-${i}-${Date.now()}@example.com`, ip)).body.data).toBeTruthy();
    expect(errorOf(await request(`spray-last-${Date.now()}@example.com`, ip)).code).toBe("RATE_LIMITED");
  });

  it("limits: 30 resetPassword attempts per IP per hour", async () => {
    const ip = freshIp();
    for (let i = 0; i < 30; i++) expect(errorOf(await reset("B".repeat(43), NEW_PASSWORD, ip)).reason).toBe("LINK_INVALID");
    expect(errorOf(await reset("B".repeat(43), NEW_PASSWORD, ip)).code).toBe("RATE_LIMITED");
  });

  it("no log line holds a reset token, a link or a password (ASVS 16.2.5)", () => {
    expect(secrets.size).toBeGreaterThan(5);
    const log = lines.join("\n");
    expect(log).toContain("mail delivered");
    for (const secret of secrets) expect(log).not.toContain(secret);
    expect(log).not.toContain(RESET_PAGE);
  });
});
