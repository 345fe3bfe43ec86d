import type { KyselyPlugin } from "kysely";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { openStore, type Store } from "../src/store/database.js";
import { ENDED_ROWS_KEPT_MS, type RetentionSettings, retentionSettings, sweepExpired } from "../src/store/retention.js";
import { RetentionJob } from "../src/store/retention-job.js";
import type { AccountLinkRow } from "../src/store/tables.js";
import { meWith } from "./support/access-token-checks.js";
import { eventually } from "./support/eventually.js";
import { errorOf, LOGOUT } from "./support/graphql-client.js";
import { ManualClock } from "./support/manual-clock.js";
import { migratedStorePerSuite } from "./support/store-fixture.js";
import { sessionRow, userRow } from "./support/store-rows.js";
import { STORES, type TestStore } from "./support/stores.js";
import { testConfig } from "./support/test-config.js";
import { signUpUser, startTestServer, type TestServer } from "./support/test-server.js";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const NOW = Date.UTC(2026, 11, 1);
const SETTINGS: RetentionSettings = { sessionsMs: ENDED_ROWS_KEPT_MS, auditMs: 90 * DAY };
const silent = createLogger("silent");

/** A provider sign-in started and not completed, as startOidcLogin leaves it. */
const oidcLogin = (id: string, expires_at: number) => ({
  id,
  provider: "p",
  state: "s",
  nonce: "n",
  code_verifier: "v",
  redirect_uri: "https://app/cb",
  expires_at,
});

describe("what the configuration keeps", () => {
  it("keeps ended sessions 7 days and audit events AUDIT_RETENTION (default 90d)", () => {
    expect(retentionSettings(testConfig())).toEqual({ sessionsMs: 7 * DAY, auditMs: 90 * DAY });
    expect(retentionSettings(testConfig({ AUDIT_RETENTION: "400d" })).auditMs).toBe(400 * DAY);
  });

  it("keeps ended sessions as long as their access tokens can be accepted, when that is past 7 days (guards against a new instance accepting a revoked session's token)", () => {
    const config = testConfig({ ACCESS_TOKEN_TTL: "8d", REFRESH_TOKEN_TTL: "10d", JWT_CLOCK_TOLERANCE: "5s" });
    expect(retentionSettings(config).sessionsMs).toBe(8 * DAY + 5_000);
  });
});

describe.each(STORES)("the retention sweep on $name", (kind) => {
  const suite = migratedStorePerSuite(kind);
  let store: Store;
  const userId = "retention-user";

  beforeAll(async () => {
    store = suite.store;
    await store.db
      .insertInto("users")
      .values(userRow(userId, NOW - 400 * DAY))
      .execute();
  });
  beforeEach(async () => {
    for (const table of ["sessions", "auth_events", "account_links", "oidc_logins", "mfa_challenges", "mail_outbox"] as const) {
      await store.db.deleteFrom(table).execute();
    }
  });

  const insertSession = (id: string, times: { expires_at: number; revoked_at?: number; created_at?: number }) => {
    const at = times.created_at ?? times.expires_at - DAY;
    const ended = times.revoked_at === undefined ? {} : { revoked_at: times.revoked_at, revoked_reason: "logout" };
    const row = sessionRow(id, userId, at, { expires_at: times.expires_at, absolute_expires_at: times.expires_at, ...ended });
    return store.db.insertInto("sessions").values(row).execute();
  };
  const ids = async (table: "sessions" | "account_links" | "oidc_logins") =>
    (await store.db.selectFrom(table).select("id").orderBy("id").execute()).map((row) => row.id);

  it("deletes sessions ended or expired just over 7 days ago, keeps those just inside, and never a live one", async () => {
    await insertSession("live", { expires_at: NOW + DAY });
    await insertSession("live-for-a-moment-more", { expires_at: NOW + 1, created_at: NOW - 365 * DAY });
    await insertSession("revoked-inside", { expires_at: NOW + DAY, revoked_at: NOW - 7 * DAY + 1 });
    await insertSession("revoked-outside", { expires_at: NOW + DAY, revoked_at: NOW - 7 * DAY - 1 });
    await insertSession("expired-inside", { expires_at: NOW - 7 * DAY + 1 });
    await insertSession("expired-outside", { expires_at: NOW - 7 * DAY - 1 });

    const counts = await sweepExpired(store.db, store.dialect, NOW, SETTINGS);

    expect(counts.sessions).toBe(2);
    expect(await ids("sessions")).toEqual(["expired-inside", "live", "live-for-a-moment-more", "revoked-inside"]);
  });

  it("deletes audit events older than AUDIT_RETENTION and keeps those just inside it", async () => {
    const event = (type: string, created_at: number) => ({
      type,
      user_id: userId,
      session_id: null,
      ip_address: null,
      user_agent: null,
      detail: null,
      created_at,
    });
    await store.db
      .insertInto("auth_events")
      .values([event("outside", NOW - 30 * DAY - 1), event("inside", NOW - 30 * DAY + 1), event("recent", NOW)])
      .execute();

    const counts = await sweepExpired(store.db, store.dialect, NOW, { ...SETTINGS, auditMs: 30 * DAY });

    expect(counts.auth_events).toBe(1);
    const left = await store.db.selectFrom("auth_events").select("type").orderBy("type").execute();
    expect(left.map((row) => row.type)).toEqual(["inside", "recent"]);
  });

  it("deletes links used or expired over 7 days ago and keeps every link that still works, however old", async () => {
    const link = (id: string, times: Pick<AccountLinkRow, "expires_at" | "used_at"> & { created_at?: number }): AccountLinkRow => ({
      id,
      user_id: userId,
      purpose: "password_reset",
      token_hash: `hash-${id}`,
      new_email: null,
      session_id: null,
      created_at: times.created_at ?? NOW - 60 * DAY,
      expires_at: times.expires_at,
      used_at: times.used_at,
    });
    await store.db
      .insertInto("account_links")
      .values([
        link("unused-long-lived", { expires_at: NOW + 30 * DAY, used_at: null }),
        link("used-inside", { expires_at: NOW + DAY, used_at: NOW - 7 * DAY + 1 }),
        link("used-outside", { expires_at: NOW + DAY, used_at: NOW - 7 * DAY - 1 }),
        link("expired-inside", { expires_at: NOW - 7 * DAY + 1, used_at: null }),
        link("expired-outside", { expires_at: NOW - 7 * DAY - 1, used_at: null }),
      ])
      .execute();

    const counts = await sweepExpired(store.db, store.dialect, NOW, SETTINGS);

    expect(counts.account_links).toBe(2);
    expect(await ids("account_links")).toEqual(["expired-inside", "unused-long-lived", "used-inside"]);
  });

  it("deletes expired provider sign-ins and MFA login steps, and keeps unexpired ones", async () => {
    await store.db
      .insertInto("oidc_logins")
      .values([oidcLogin("expired", NOW - 1), oidcLogin("pending", NOW + 1)])
      .execute();
    const challenge = (token_hash: string, expires_at: number) => ({
      token_hash,
      user_id: userId,
      login_key: "retention",
      failures: 0,
      credential_version: 0,
      expires_at,
      created_at: expires_at - 5 * MINUTE,
    });
    await store.db
      .insertInto("mfa_challenges")
      .values([challenge("expired", NOW - 1), challenge("pending", NOW + 1)])
      .execute();

    const counts = await sweepExpired(store.db, store.dialect, NOW, SETTINGS);

    expect(counts).toMatchObject({ oidc_logins: 1, mfa_challenges: 1 });
    expect(await ids("oidc_logins")).toEqual(["pending"]);
    expect((await store.db.selectFrom("mfa_challenges").select("token_hash").execute()).map((row) => row.token_hash)).toEqual(["pending"]);
  });

  it("never touches the mail outbox, which the mail worker owns, however old its rows", async () => {
    const mail = (id: string, status: "pending" | "failed") => ({
      id,
      user_id: userId,
      purpose: "password_reset",
      sealed: "sealed",
      status,
      attempts: 10,
      next_attempt_at: NOW - 365 * DAY,
      lease_until: 0,
      last_error: "ERROR",
      created_at: NOW - 365 * DAY,
    });
    await store.db
      .insertInto("mail_outbox")
      .values([mail("failed", "failed"), mail("pending", "pending")])
      .execute();

    await sweepExpired(store.db, store.dialect, NOW, SETTINGS);

    expect(await store.db.selectFrom("mail_outbox").select("id").orderBy("id").execute()).toEqual([{ id: "failed" }, { id: "pending" }]);
  });

  it("deletes a backlog in statements of at most the batch size, until none is left", async () => {
    for (let i = 0; i < 7; i++) await insertSession(`old-${i}`, { expires_at: NOW - 30 * DAY });
    await insertSession("live", { expires_at: NOW + DAY });
    const deletedPerStatement: number[] = [];
    const observer: KyselyPlugin = {
      transformQuery: (args) => args.node,
      transformResult: async (args) => {
        if (args.result.numAffectedRows !== undefined) deletedPerStatement.push(Number(args.result.numAffectedRows));
        return args.result;
      },
    };

    const counts = await sweepExpired(store.db.withPlugin(observer), store.dialect, NOW, SETTINGS, { batchSize: 3 });

    expect(counts.sessions).toBe(7);
    expect(Math.max(...deletedPerStatement)).toBe(3);
    expect(deletedPerStatement.filter((n) => n > 0)).toEqual([3, 3, 1]);
    expect(await ids("sessions")).toEqual(["live"]);
  });

  it("is harmless when two instances sweep at once: each row is deleted once, live rows stay, neither fails", async () => {
    for (let i = 0; i < 9; i++) await insertSession(`old-${i}`, { expires_at: NOW - 30 * DAY });
    await insertSession("live", { expires_at: NOW + DAY });
    const other = await openStore(suite.url, silent);
    try {
      const [mine, theirs] = await Promise.all([
        sweepExpired(store.db, store.dialect, NOW, SETTINGS, { batchSize: 2 }),
        sweepExpired(other.db, other.dialect, NOW, SETTINGS, { batchSize: 2 }),
      ]);
      expect(mine.sessions + theirs.sessions).toBe(9);
      // One sweep may stop early on rows the other holds; the next hourly sweep finishes then.
      const afterBoth = await sweepExpired(store.db, store.dialect, NOW, SETTINGS);
      expect(afterBoth.sessions).toBe(0);
      expect(await ids("sessions")).toEqual(["live"]);
    } finally {
      await other.close();
    }
  });

  it("sweeps on its timer, by the injected clock's time, and not once stopped", async () => {
    const clock = new ManualClock(NOW);
    const job = new RetentionJob(store, SETTINGS, clock, silent, undefined, { firstRunMs: 0, intervalMs: 20 });
    await store.db
      .insertInto("oidc_logins")
      .values([oidcLogin("first", NOW + MINUTE), oidcLogin("second", NOW + MINUTE)])
      .execute();
    job.start();
    try {
      // Unexpired by the injected clock, whatever the real time: a sweep leaves them.
      expect((await job.sweepNow())?.oidc_logins).toBe(0);
      expect(await ids("oidc_logins")).toEqual(["first", "second"]);
      clock.advance(MINUTE + 1);
      await eventually("the timer's sweep", async () => (await ids("oidc_logins")).length === 0);
    } finally {
      await job.stop();
    }
    await store.db
      .insertInto("oidc_logins")
      .values(oidcLogin("after-stop", NOW + MINUTE))
      .execute();
    expect(await job.sweepNow()).toBeUndefined();
    expect(await ids("oidc_logins")).toEqual(["after-stop"]);
  });

  it("logs one line for a failed sweep and resolves instead of throwing", async () => {
    const lines: { level: number; msg: string }[] = [];
    const logger = createLogger("info", { write: (line: string) => void lines.push(JSON.parse(line)) });
    // A store never migrated: every statement fails, and not for a lost connection.
    const empty = await kind.create();
    const unmigrated = await openStore(empty.url, silent);
    try {
      const job = new RetentionJob(unmigrated, SETTINGS, new ManualClock(NOW), logger, unmigrated.outage);
      expect(await job.sweepNow()).toBeUndefined();
      expect(lines).toEqual([expect.objectContaining({ level: 50, msg: "retention sweep failed; the next one retries" })]);
      await job.stop();
    } finally {
      await unmigrated.close();
      await empty.drop();
    }
  });
});

describe.each(STORES)("an app's retention on $name", (kind) => {
  let test: TestStore;
  const servers: TestServer[] = [];
  const start = async (clock: ManualClock, env: Record<string, string>) => {
    const server = await startTestServer({ databaseUrl: test.url, clock, env });
    servers.push(server);
    return server;
  };
  beforeAll(async () => {
    test = await kind.create();
  });
  afterAll(async () => {
    for (const server of servers) await server.stop();
    await test?.drop();
  });

  it("sweeps with the app's clock and AUDIT_RETENTION: a logged-out session goes after 7 days, audit events after AUDIT_RETENTION", async () => {
    const clock = new ManualClock();
    const server = await start(clock, { AUDIT_RETENTION: "30d" });
    const { app } = server;
    const client = server.client();
    await signUpUser(client);
    await client.request(LOGOUT);
    const eventsAtStart = await app.store.db.selectFrom("auth_events").select("id").execute();
    expect(eventsAtStart.length).toBeGreaterThan(0);

    clock.advance(7 * DAY - MINUTE);
    expect((await app.retention.sweepNow())?.sessions).toBe(0);
    clock.advance(2 * MINUTE);
    expect(await app.retention.sweepNow()).toMatchObject({ sessions: 1, auth_events: 0 });

    clock.advance(23 * DAY);
    await signUpUser(server.client());
    expect((await app.retention.sweepNow())?.auth_events).toBe(eventsAtStart.length);
    const left = await app.store.db.selectFrom("auth_events").select("created_at").execute();
    expect(left.length).toBeGreaterThan(0);
    expect(left.every((row) => row.created_at === clock.now())).toBe(true);
  });

  it("keeps a revoked session while its access token lives, so an instance started later still refuses it (regression: deleting after 7 days with ACCESS_TOKEN_TTL=8d)", async () => {
    const clock = new ManualClock();
    const env = { ACCESS_TOKEN_TTL: "8d", REFRESH_TOKEN_TTL: "10d" };
    const first = await start(clock, env);
    const client = first.client();
    await signUpUser(client);
    const token = client.accessToken as string;
    await client.request(LOGOUT);

    clock.advance(7 * DAY + 60 * MINUTE);
    expect((await first.app.retention.sweepNow())?.sessions).toBe(0);
    const later = await start(clock, env);
    expect(errorOf(await meWith(later, token)).reason).toBe("SESSION_REVOKED");

    clock.advance(DAY);
    expect((await first.app.retention.sweepNow())?.sessions).toBe(1);
    expect(errorOf(await meWith(later, token)).reason).toBe("TOKEN_EXPIRED");
  });
});
