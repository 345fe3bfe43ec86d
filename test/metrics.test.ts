import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { buildSchema } from "../src/graphql/schema.js";
import { RETRY_DELAYS_MS } from "../src/mail/mail-worker.js";
import { Metrics } from "../src/metrics/metrics.js";
import { eventually } from "./support/eventually.js";
import { errorOf, LOGIN, LOGOUT, REFRESH } from "./support/graphql-client.js";
import { catcherPerSuite, MailCatcher } from "./support/mail-catcher.js";
import { ManualClock } from "./support/manual-clock.js";
import { DISABLE_TOTP, enableMfa, mfaTokenFor, totpCode, verifyMfa } from "./support/mfa-steps.js";
import { restartingServerPerSuite, serverPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { PRODUCTION_ENV } from "./support/test-config.js";
import { logInUser, signUpUser } from "./support/test-server.js";

/** The value of one sample line, `name{labels} value`, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const REQUEST_RESET = "mutation($email: String!) { requestPasswordReset(email: $email) }";
const RESET = "mutation($input: ResetPasswordInput!) { resetPassword(input: $input) }";
const CHANGE_EMAIL = "mutation($input: RequestEmailChangeInput!) { requestEmailChange(input: $input) }";
const VERIFY_EMAIL = "mutation($token: String!) { verifyEmail(token: $token) }";
const DELETE_ACCOUNT = "mutation($currentPassword: String!) { deleteAccount(currentPassword: $currentPassword) }";

/** The text of one GET /metrics from the server at `url`. */
async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** Scrapes until `series` reads `value` (the mail worker runs on its own timer), then returns that text. */
async function scrapeUntil(url: string, series: string, value: number): Promise<string> {
  let text = "";
  await eventually(
    `${series} at ${value}`,
    async () => {
      text = await scrape(url);
      return sample(text, series) === value;
    },
    15_000,
  );
  return text;
}

describe.each(STORES)("GET /metrics on $name", (kind) => {
  const fixture = serverPerSuite(kind, { env: { LOGIN_MAX_FAILURES: "2" } });
  const chosenByClient = `op_${randomBytes(8).toString("hex")}`;
  let text = "";
  let contentType = "";

  beforeAll(async () => {
    const { server } = fixture;
    const user = server.client();
    const { username, password } = await signUpUser(user);
    await logInUser(user, username, password);
    expect((await user.request(REFRESH)).body.errors).toBeUndefined();
    // Two failures block the (username, IP) pair; the third attempt is refused by the limit.
    const stranger = server.client();
    for (const expected of ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]) {
      expect(errorOf(await stranger.request(LOGIN, { input: { username, password: "a wrong password entirely" } })).code).toBe(expected);
    }
    // The client's operation name, alias and fragment name are its own text: none may become a label.
    const named = `query ${chosenByClient} { ${chosenByClient}: __typename ...${chosenByClient} } fragment ${chosenByClient} on Query { __typename }`;
    expect((await user.request(named)).body.errors).toBeUndefined();
    expect((await user.request("{ __typename me { id } }")).body.errors).toBeUndefined();
    expect((await user.request(`{ ${chosenByClient} }`)).body.errors).toBeDefined();
    expect((await user.request(LOGOUT)).body.errors).toBeUndefined();
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    contentType = res.headers.get("content-type") ?? "";
    text = await res.text();
  });

  it("serves Prometheus text with the process metrics of this app's own registry", () => {
    expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(text).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
  });

  it("counts logins by outcome, refreshes, refusals and revocations", () => {
    expect(sample(text, 'auth_logins_total{result="ok"}')).toBe(1);
    expect(sample(text, 'auth_logins_total{result="failed"}')).toBe(2);
    expect(sample(text, 'auth_logins_total{result="limited"}')).toBe(1);
    expect(sample(text, "auth_refreshes_total")).toBe(1);
    expect(sample(text, 'auth_rate_limit_refusals_total{limit="login"}')).toBe(1);
    expect(sample(text, 'auth_revocations_total{reason="logout"}')).toBe(1);
    // Known outcomes show from the start, at 0, so a dashboard's rate() has a series to read.
    expect(sample(text, 'auth_refresh_reuse_total{kind="theft"}')).toBe(0);
  });

  it("times operations by the root field they select, from the schema", () => {
    expect(sample(text, 'graphql_operation_duration_seconds_count{operation="login"}')).toBe(4);
    expect(sample(text, 'graphql_operation_duration_seconds_count{operation="refreshToken"}')).toBe(1);
    expect(sample(text, 'graphql_operation_duration_seconds_count{operation="__typename"}')).toBe(1);
    expect(sample(text, 'graphql_operation_duration_seconds_count{operation="multiple"}')).toBe(1);
    expect(sample(text, 'graphql_operation_duration_seconds_count{operation="unresolved"}')).toBe(1);
  });

  it("never labels a series with request input (regression guard: an operation or alias named by the client becoming a label)", () => {
    expect(text).not.toContain(chosenByClient);
    const schema = buildSchema();
    const rootFields = [schema.getQueryType(), schema.getMutationType()].flatMap((type) => Object.keys(type?.getFields() ?? {}));
    const operations = new Set([...text.matchAll(/operation="([^"]*)"/g)].map((m) => m[1]));
    for (const operation of operations) expect([...rootFields, "__typename", "multiple", "unresolved"]).toContain(operation);
  });
});

describe.each(STORES)("GET /metrics in production on $name", (kind) => {
  const restart = restartingServerPerSuite(kind, PRODUCTION_ENV);

  it("answers 404 without METRICS_ENABLED, and serves the series with METRICS_ENABLED=true", async () => {
    const off = await restart({});
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
    const on = await restart({ METRICS_ENABLED: "true" });
    const res = await fetch(`${on.url}/metrics`);
    expect(res.status).toBe(200);
    expect(sample(await res.text(), 'auth_logins_total{result="ok"}')).toBe(0);
  });
});

describe.each(STORES)("GET /metrics: the mail outbox on $name", (kind) => {
  const clock = new ManualClock();
  const smtp = catcherPerSuite();
  const fixture = serverPerSuite(kind, {
    clock,
    get env() {
      return { SMTP_URL: smtp().url };
    },
  });

  it("shows the mail waiting in the store's outbox and counts each delivery attempt by outcome", async () => {
    const { url } = fixture.server;
    expect(sample(await scrape(url), 'auth_mail_outbox_depth{status="pending"}')).toBe(0);
    await smtp().down();
    // The sign-up queues a verification mail, whose first attempt fails against the closed port.
    const { email } = await signUpUser(fixture.server.client());
    let text = await scrapeUntil(url, 'auth_mail_deliveries_total{result="retrying"}', 1);
    expect(sample(text, 'auth_mail_outbox_depth{status="pending"}')).toBe(1);
    expect(sample(text, 'auth_mail_outbox_depth{status="failed"}')).toBe(0);
    expect(sample(text, 'auth_mail_deliveries_total{result="delivered"}')).toBe(0);
    expect(sample(text, 'auth_mail_deliveries_total{result="failed"}')).toBe(0);

    await smtp().up();
    clock.advance(RETRY_DELAYS_MS[0] as number);
    await smtp().nth(email, /Confirm your email address/);
    text = await scrapeUntil(url, 'auth_mail_deliveries_total{result="delivered"}', 1);
    // Delivered mail leaves the outbox.
    expect(sample(text, 'auth_mail_outbox_depth{status="pending"}')).toBe(0);
    expect(sample(text, 'auth_mail_deliveries_total{result="retrying"}')).toBe(1);
    // The series carry no address or other mail content.
    expect(text).not.toContain(email.split("@")[0]);
  });
});

describe.each(STORES)("GET /metrics: every action that ends sessions, by reason, on $name", (kind) => {
  const smtp = catcherPerSuite();
  const fixture = serverPerSuite(kind, {
    get env() {
      return { SMTP_URL: smtp().url, MAX_SESSIONS_PER_USER: "1" };
    },
  });
  const ok = (res: { body: { errors?: unknown } }) => expect(res.body.errors).toBeUndefined();

  it("counts a login past the cap, a password reset, an email change and an account deletion, each under its own reason", async () => {
    const { server } = fixture;
    // A second login past MAX_SESSIONS_PER_USER=1 ends the first session.
    const capped = await signUpUser(server.client());
    await logInUser(server.client(), capped.username, capped.password);
    // A password reset ends every session of the account.
    ok(await server.client().request(REQUEST_RESET, { email: capped.email }));
    const resetToken = MailCatcher.tokenOf(await smtp().nth(capped.email, /Reset your password/));
    ok(await server.client().request(RESET, { input: { token: resetToken, newPassword: "a new password for the metrics 9" } }));
    // An email change ends the account's other sessions when its link is used.
    const mover = server.client();
    const moved = await signUpUser(mover);
    const newEmail = `moved-${randomBytes(4).toString("hex")}@example.org`;
    ok(await mover.request(CHANGE_EMAIL, { input: { newEmail, currentPassword: moved.password } }));
    ok(
      await server.client().request(VERIFY_EMAIL, { token: MailCatcher.tokenOf(await smtp().nth(newEmail, /Confirm your email address/)) }),
    );
    // Deleting an account ends all of its sessions.
    const leaver = server.client();
    ok(await leaver.request(DELETE_ACCOUNT, { currentPassword: (await signUpUser(leaver)).password }));

    const text = await scrape(server.url);
    for (const reason of ["session_cap", "password_reset", "email_changed", "account_deleted"]) {
      expect(sample(text, `auth_revocations_total{reason="${reason}"}`), reason).toBe(1);
    }
    // A session ended by the cap is not one its owner ended.
    expect(sample(text, 'auth_revocations_total{reason="revoked"}')).toBe(0);
  });
});

describe.each(STORES)("GET /metrics: logins with a second factor on $name", (kind) => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(kind, { clock });

  it("counts the second step's refusals as mfa_failed, and not a wrong code that guards an account change", async () => {
    const { server } = fixture;
    const owner = server.client();
    const { username, password } = await signUpUser(owner);
    const { secret } = await enableMfa(owner, password, clock);
    // A code from ten time steps ahead is outside the accepted window.
    const wrong = totpCode(secret, clock, 10);
    expect(errorOf(await verifyMfa(server.client(), await mfaTokenFor(server.client(), username, password), wrong)).code).toBe(
      "UNAUTHENTICATED",
    );
    expect(errorOf(await verifyMfa(server.client(), "no-such-mfa-token", totpCode(secret, clock))).code).toBe("UNAUTHENTICATED");
    // A wrong code for disableTotp is a failed step-up, not a failed login.
    expect(errorOf(await owner.request(DISABLE_TOTP, { code: wrong }))).toBeDefined();
    const mfaToken = await mfaTokenFor(server.client(), username, password);
    expect((await verifyMfa(server.client(), mfaToken, totpCode(secret, clock))).body.errors).toBeUndefined();

    const text = await scrape(server.url);
    expect(sample(text, 'auth_logins_total{result="mfa_required"}')).toBe(2);
    expect(sample(text, 'auth_logins_total{result="mfa_failed"}')).toBe(2);
    // The sign-up's session is no login; the second step's success is.
    expect(sample(text, 'auth_logins_total{result="ok"}')).toBe(1);
  });
});

describe("the mail outbox gauge while the store cannot answer", () => {
  it("leaves the depth out of the scrape instead of showing the last numbers, and the rest is still served", async () => {
    const metrics = new Metrics();
    let storeUp = true;
    metrics.watchOutbox(async () => {
      if (!storeUp) throw new Error("connect ECONNREFUSED");
      return { pending: 3, failed: 1 };
    });
    expect(sample((await metrics.exposition()).body, 'auth_mail_outbox_depth{status="pending"}')).toBe(3);
    storeUp = false;
    const { body } = await metrics.exposition();
    expect(sample(body, 'auth_mail_outbox_depth{status="pending"}')).toBeUndefined();
    expect(sample(body, 'auth_mail_outbox_depth{status="failed"}')).toBeUndefined();
    expect(sample(body, 'auth_logins_total{result="ok"}')).toBe(0);
    storeUp = true;
    expect(sample((await metrics.exposition()).body, 'auth_mail_outbox_depth{status="failed"}')).toBe(1);
  });
});
