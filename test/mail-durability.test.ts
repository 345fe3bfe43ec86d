import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MailCatcher } from "./support/mail-catcher.js";
import { spawnServer } from "./support/server-process.js";
import { querySql } from "./support/store-sql.js";
import { POSTGRES, SQLITE, type TestStore } from "./support/stores.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

const REQUEST = "mutation Request($email: String!) { requestPasswordReset(email: $email) }";
const RESET = "mutation Reset($input: ResetPasswordInput!) { resetPassword(input: $input) }";
const RESET_MAIL = /Reset your password/;

/** Polls the store until no mail waits in the outbox: delivered mail is deleted, so none can go twice. */
async function outboxEmpty(store: TestStore): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await querySql(store, "select id from mail_outbox")).length > 0) {
    if (Date.now() > deadline) throw new Error("the outbox never emptied");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("a server killed with SIGKILL between the request and the delivery", () => {
  let smtp: MailCatcher;
  let store: TestStore;
  beforeAll(async () => {
    smtp = await MailCatcher.start();
    store = await SQLITE.create();
  });
  afterAll(async () => {
    await smtp.stop();
    await store.drop();
  });

  it("leaves the mail in the store, and the next process delivers it; its link works", async () => {
    await smtp.down();
    const env = { DATABASE_URL: store.url, SMTP_URL: smtp.url };
    const first = await spawnServer(env);
    const { email } = await signUpUser(first.client());
    expect((await first.client().request(REQUEST, { email })).body.data).toEqual({ requestPasswordReset: true });
    // Every queued mail (the sign-up's verification and the reset) has had its first attempt fail
    // against the closed port and waits for its retry. Killing while one is still mid-attempt
    // would leave it leased for minutes, which is another test's subject.
    const deadline = Date.now() + 15_000;
    const waitingForRetry = (rows: { attempts: number; lease_until: number }[]) =>
      rows.length >= 2 && rows.every((row) => Number(row.attempts) >= 1 && Number(row.lease_until) === 0);
    while (
      !waitingForRetry(await querySql<{ attempts: number; lease_until: number }>(store, "select attempts, lease_until from mail_outbox"))
    ) {
      if (Date.now() > deadline) throw new Error("no failed first attempt recorded");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await first.kill();
    await smtp.up();
    const second = await spawnServer(env);
    try {
      const mail = await smtp.nth(email, RESET_MAIL);
      const res = await second
        .client()
        .request(RESET, { input: { token: MailCatcher.tokenOf(mail), newPassword: "after the crash 7781" } });
      expect(res.body.data).toEqual({ resetPassword: true });
      await outboxEmpty(store);
      expect(smtp.to(email, RESET_MAIL)).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });
});

describe.skipIf(!POSTGRES)("two instances on one PostgreSQL", () => {
  let smtp: MailCatcher;
  let store: TestStore;
  let servers: TestServer[] = [];
  beforeAll(async () => {
    smtp = await MailCatcher.start();
    store = await (POSTGRES as NonNullable<typeof POSTGRES>).create();
    const env = { SMTP_URL: smtp.url, TRUST_PROXY: "loopback" };
    servers = [await startTestServer({ databaseUrl: store.url, env }), await startTestServer({ databaseUrl: store.url, env })];
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await smtp.stop();
    await store.drop();
  });

  it("deliver each mail exactly once, whichever instance queued it", async () => {
    const [a, b] = servers as [TestServer, TestServer];
    const emails: string[] = [];
    for (let i = 0; i < 4; i++) emails.push((await signUpUser(a.client())).email);
    // Queued on both instances at once; both workers race for every row.
    await Promise.all(
      emails.flatMap((email, i) =>
        [a, b].map((server, j) =>
          server.client().request(REQUEST, { email }, { headers: { "x-forwarded-for": `203.0.113.${i * 2 + j + 1}` } }),
        ),
      ),
    );
    for (const email of emails) await smtp.nth(email, RESET_MAIL, 2);
    await outboxEmpty(store);
    for (const email of emails) expect(smtp.to(email, RESET_MAIL)).toHaveLength(2);
    const tokens = emails.flatMap((email) => smtp.to(email, RESET_MAIL).map((mail) => MailCatcher.tokenOf(mail)));
    expect(new Set(tokens).size).toBe(8);
  });
});
