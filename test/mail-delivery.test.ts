import { readFileSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { RETRY_DELAYS_MS } from "../src/mail/mail-worker.js";
import { CHANGE_PASSWORD, type GraphQLClient } from "./support/graphql-client.js";
import { catcherPerSuite } from "./support/mail-catcher.js";
import { ManualClock } from "./support/manual-clock.js";
import { DISABLE_TOTP, enableMfa, STEP_MS, totpCode } from "./support/mfa-steps.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { querySql } from "./support/store-sql.js";
import { SQLITE, STORES, type TestStore } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

const NEW_PASSWORD = "a brand new passphrase 5521";
const NOTICE = /password was changed/;
/** The verification mail every sign-up sends besides. */
const VERIFY = /Confirm your email address/;

interface OutboxRow {
  status: string;
  attempts: number;
  lease_until: number;
  sealed: string;
}

const outbox = (store: TestStore) => querySql<OutboxRow>(store, "select status, attempts, lease_until, sealed from mail_outbox");
/** The attempt has run to its end (the worker's claim is released), so moving the clock now moves its retry. */
const failedAttempts = (row: OutboxRow | undefined) => (row && Number(row.lease_until) === 0 ? Number(row.attempts) : -1);

/** Polls the store (no fixed sleep) until `check` holds for the outbox rows. */
async function outboxUntil(store: TestStore, check: (rows: OutboxRow[]) => boolean): Promise<OutboxRow[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await outbox(store);
    if (check(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`outbox never reached the expected state: ${JSON.stringify(rows)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Signs a user up and changes the password, which queues the password-changed notice. */
async function changePassword(client: GraphQLClient) {
  const user = await signUpUser(client);
  const res = await client.request(CHANGE_PASSWORD, { input: { currentPassword: user.password, newPassword: NEW_PASSWORD } });
  expect(res.body.errors).toBeUndefined();
  return user;
}

describe.each(STORES)("mail delivery over SMTP on $name", (kind) => {
  const clock = new ManualClock();
  const smtp = catcherPerSuite();
  const fixture = serverPerSuite(kind, {
    clock,
    get env() {
      return { SMTP_URL: smtp().url, MAIL_FROM: "Auth Test <auth@example.test>" };
    },
  });

  it("mails a password-changed notice (ASVS 6.3.7) with a plain-text and an HTML part, and keeps no copy once delivered", async () => {
    const { email } = await changePassword(fixture.server.client());
    const mail = await smtp().nth(email, NOTICE);
    expect(mail.text).toContain("The password of your account was just changed.");
    expect(mail.html).toContain("<p>The password of your account was just changed.</p>");
    await outboxUntil(fixture.store, (rows) => rows.length === 0);
  });

  it("mails a notice when two-factor authentication is turned on and another when it is turned off (ASVS 6.3.7)", async () => {
    const client = fixture.server.client();
    const { email, password } = await signUpUser(client);
    const { secret } = await enableMfa(client, password, clock);
    expect((await smtp().nth(email, /Two-factor authentication was turned on/)).text).toContain("authenticator app");
    clock.advance(STEP_MS);
    expect((await client.request(DISABLE_TOTP, { code: totpCode(secret, clock) })).body.data?.disableTotp).toBe(true);
    expect((await smtp().nth(email, /Two-factor authentication was turned off/)).text).toContain("needs only the password");
  });

  it("SMTP down, then back: the mail waits sealed in the store, then goes out once, nothing lost", async () => {
    await smtp().down();
    const client = fixture.server.client();
    const users = [await changePassword(client), await changePassword(fixture.server.client())];
    // All first attempts (a verification mail and a notice per user) have failed against the
    // closed port and wait for their retry.
    const waiting = await outboxUntil(fixture.store, (rows) => rows.length === 4 && rows.every((r) => failedAttempts(r) === 1));
    for (const row of waiting) {
      expect(row.status).toBe("pending");
      // Sealed: neither the recipient nor the text can be read from the store.
      expect(row.sealed).not.toContain(users[0]?.email.split("@")[0]);
      expect(row.sealed).not.toMatch(/password/i);
    }
    await smtp().up();
    clock.advance(RETRY_DELAYS_MS[0] as number);
    for (const user of users) await smtp().nth(user.email, NOTICE);
    await outboxUntil(fixture.store, (rows) => rows.length === 0);
    for (const user of users) {
      expect(smtp().to(user.email, NOTICE)).toHaveLength(1);
      expect(smtp().to(user.email, VERIFY)).toHaveLength(1);
    }
  });
});

describe("mail that cannot be delivered", () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const smtp = catcherPerSuite();
  beforeAll(() => smtp().down());
  const fixture = serverPerSuite(SQLITE, {
    clock,
    logger: createLogger("info", { write: (line: string) => void lines.push(line) }),
    get env() {
      return { SMTP_URL: smtp().url };
    },
  });

  it("is retried with backoff (first retry within a minute) for at least an hour, then marked failed and logged", async () => {
    expect(RETRY_DELAYS_MS[0]).toBeLessThanOrEqual(60_000);
    await changePassword(fixture.server.client());
    let waited = 0;
    for (const [i, delay] of RETRY_DELAYS_MS.entries()) {
      // The sign-up's verification mail and the notice fail in step.
      await outboxUntil(fixture.store, (rows) => rows.length === 2 && rows.every((r) => failedAttempts(r) === i + 1));
      // Still pending however long it has failed, up to the last retry.
      expect((await outbox(fixture.store)).map((r) => r.status)).toEqual(["pending", "pending"]);
      clock.advance(delay);
      waited += delay;
    }
    expect(waited).toBeGreaterThanOrEqual(3_600_000);
    const rows = await outboxUntil(fixture.store, (all) => all.every((r) => r.status === "failed"));
    for (const row of rows) expect(Number(row.attempts)).toBe(RETRY_DELAYS_MS.length + 1);
    const failed = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "mail delivery failed for good; marked failed");
    const code = expect.stringMatching(/ECONNECTION|ESOCKET/);
    expect(failed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 50, purpose: "password_changed", code }),
        expect.objectContaining({ level: 50, purpose: "email_verification", code }),
      ]),
    );
    expect(failed).toHaveLength(2);
    // GET /metrics counts every failed attempt, and shows both mails given up on in the outbox.
    const metrics = await (await fetch(`${fixture.server.url}/metrics`)).text();
    expect(metrics).toContain(`auth_mail_deliveries_total{result="retrying"} ${2 * RETRY_DELAYS_MS.length}\n`);
    expect(metrics).toContain('auth_mail_deliveries_total{result="failed"} 2\n');
    expect(metrics).toContain('auth_mail_outbox_depth{status="failed"} 2\n');
    expect(metrics).toContain('auth_mail_outbox_depth{status="pending"} 0\n');
  });
});

describe("development without SMTP_URL", () => {
  const lines: string[] = [];
  const fixture = serverPerSuite(SQLITE, {
    env: { NODE_ENV: "development" },
    logger: createLogger("info", { write: (line: string) => void lines.push(line) }),
  });

  it("writes each mail as an .eml file readable by its owner only, and logs the file's name", async () => {
    const { email } = await changePassword(fixture.server.client());
    const deadline = Date.now() + 15_000;
    let file: string | undefined;
    while (file === undefined) {
      file = lines.map((line) => JSON.parse(line)).find((entry) => entry.msg === "mail written to a file (no SMTP_URL set)")?.file;
      if (Date.now() > deadline) throw new Error("no mail file was logged");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(file).toMatch(/\.eml$/);
    const eml = readFileSync(file, "utf8");
    expect(eml).toContain(`To: ${email}`);
    expect(eml).toMatch(/Subject: (Confirm your email address|Your password was changed)/);
    // The log names the file, never the link inside it.
    expect(lines.join("\n")).not.toMatch(/token=/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
  });
});
