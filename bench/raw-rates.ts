/**
 * The floors the project's scenarios are compared with, measured without HTTP or GraphQL, in a
 * process of its own like the load generator: reads a RawSpec as JSON on stdin, prints a RawResult.
 * - `argon2`: argon2id verifications with the project's parameters (@node-rs/argon2 directly),
 *   `concurrency` at a time, as `login` runs them.
 * - `cas`: the rotation's compare-and-set UPDATE (`… where id = ? and generation = ? and revoked_at
 *   is null and expires_at > ?`) on PostgreSQL through a pool of the project's size (10), on a
 *   table of its own in the run's schema.
 * - `login`: on PostgreSQL, the argon2id verification beside the statements our login runs (the
 *   account and its second factor read, the session inserted, the session the per-account cap
 *   ends, its announcement, two audit rows), through a pool of 10,
 *   `concurrency` at a time, on the run's own tables as an account our server signed up
 *   (`username`). Everything a login costs but HTTP, GraphQL and our code: what the store's share
 *   of the cores leaves of the argon2id floor.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { text } from "node:stream/consumers";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import pg from "pg";
import { parseEnv } from "../src/env-schema.js";
import { ARGON2_PARAMETERS } from "../src/users/password-hasher.js";
import { identityKey } from "../src/users/user-rules.js";

export interface RawSpec {
  readonly kind: "argon2" | "cas" | "login";
  readonly concurrency: number;
  readonly durationSeconds: number;
  /** `cas` and `login`. */
  readonly databaseUrl?: string;
  /** `login`: an account of the run's server, whose password is `password`. */
  readonly username?: string;
  readonly password?: string;
}

export interface RawResult {
  readonly opsPerSecond: number;
}

/** Runs `concurrency` loops of `op` until the deadline; returns completed operations per second. */
async function rate(concurrency: number, durationSeconds: number, op: (worker: number) => Promise<void>): Promise<number> {
  const deadline = Date.now() + durationSeconds * 1000;
  let done = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      while (Date.now() < deadline) {
        await op(worker);
        done += 1;
      }
    }),
  );
  return done / ((Date.now() - started) / 1000);
}

async function argon2Rate(spec: RawSpec): Promise<number> {
  const options = { algorithm: 2 as Algorithm, ...ARGON2_PARAMETERS };
  const stored = await hash("correct horse battery staple", options);
  return rate(spec.concurrency, spec.durationSeconds, async () => {
    if (!(await verify(stored, "correct horse battery staple"))) throw new Error("argon2 verify failed");
  });
}

async function casRate(spec: RawSpec): Promise<number> {
  if (!spec.databaseUrl?.startsWith("postgres")) throw new Error("cas needs a PostgreSQL databaseUrl");
  const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 10 });
  try {
    await pool.query(
      "create table if not exists bench_cas (id text primary key, generation integer not null, revoked_at bigint, expires_at bigint not null)",
    );
    await pool.query("delete from bench_cas");
    const far = Date.now() + 86_400_000;
    const generations = Array.from({ length: spec.concurrency }, () => 0);
    for (let i = 0; i < spec.concurrency; i += 1) {
      await pool.query("insert into bench_cas (id, generation, expires_at) values ($1, 0, $2)", [`s${i}`, far]);
    }
    return await rate(spec.concurrency, spec.durationSeconds, async (worker) => {
      const from = generations[worker] ?? 0;
      const result = await pool.query(
        "update bench_cas set generation = $3 where id = $1 and generation = $2 and revoked_at is null and expires_at > $4",
        [`s${worker}`, from, from + 1, Date.now()],
      );
      if (result.rowCount !== 1) throw new Error("compare-and-set lost its row");
      generations[worker] = from + 1;
    });
  } finally {
    await pool.end();
  }
}

/**
 * Our login's statements on PostgreSQL, as the server's statement log (`log_statement=all`) shows
 * them for one login at the cap, with the values that never change in a run written in; a change
 * to what a login sends belongs here too.
 */
const LOGIN_STATEMENTS = {
  account: 'select * from "users" where "username_key" = $1',
  secondFactor: 'select * from "mfa_factors" where "user_id" = $1',
  session:
    'insert into "sessions" ("id", "user_id", "seed", "generation", "created_at", "last_used_at", "expires_at", "absolute_expires_at", ' +
    '"parent_valid_until", "revoked_at", "revoked_reason", "user_agent", "ip_address", "idp", "amr", "credential_version") ' +
    "select $1, $2, $3, 0, $4, $4, $5, $6, 0, null, null, 'node', '127.0.0.1', null, 'pwd', $7 " +
    'from "users" where "id" = $8 and "credential_version" = $9 for share',
  cap:
    'update "sessions" set "revoked_at" = $1, "revoked_reason" = \'session_cap\' where "revoked_at" is null and "id" = any(array((' +
    'select "id" from "sessions" where "id" = any(array((select "id" from "sessions" where "user_id" = $2 and "revoked_at" is null ' +
    'and "expires_at" > $1 order by "last_used_at" desc, "created_at" desc limit 1000 offset $3))) and "revoked_at" is null ' +
    'order by "id" for update))) returning "id"',
  announce: "select pg_notify($1, $2)",
  audit:
    'insert into "auth_events" ("type", "user_id", "session_id", "ip_address", "user_agent", "detail", "created_at") ' +
    "values ($1, $2, $3, '127.0.0.1', 'node', $4, $5)",
} as const;

async function loginRate(spec: RawSpec): Promise<number> {
  if (!spec.databaseUrl?.startsWith("postgres") || spec.username === undefined || spec.password === undefined) {
    throw new Error("login needs a PostgreSQL databaseUrl, a username and its password");
  }
  const { password } = spec;
  const usernameKey = identityKey(spec.username);
  // The bench's server keeps MAX_SESSIONS_PER_USER at its default (server-process.ts).
  const cap = parseEnv({}).values.MAX_SESSIONS_PER_USER;
  const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 10 });
  const channel = `bench_revocations_${randomBytes(4).toString("hex")}`;
  const login = async () => {
    const account = (await pool.query(LOGIN_STATEMENTS.account, [usernameKey])).rows[0];
    if (!account || !(await verify(account.password_hash, password))) throw new Error("the account's password did not verify");
    await pool.query(LOGIN_STATEMENTS.secondFactor, [account.id]);
    const now = Date.now();
    const sessionId = randomUUID();
    const seed = randomBytes(32).toString("base64url");
    const inserted = await pool.query(LOGIN_STATEMENTS.session, [
      sessionId,
      account.id,
      seed,
      now,
      now + 86_400_000,
      now + 30 * 86_400_000,
      account.credential_version,
      account.id,
      account.credential_version,
    ]);
    if (inserted.rowCount !== 1) throw new Error("the session was not inserted");
    const ended = (await pool.query(LOGIN_STATEMENTS.cap, [now, account.id, cap])).rows.map((row) => row.id as string);
    if (ended.length > 0) {
      await pool.query(LOGIN_STATEMENTS.announce, [channel, JSON.stringify({ s: ended, t: now })]);
      for (const id of ended) await pool.query(LOGIN_STATEMENTS.audit, ["session_revoked", account.id, id, "session_cap", now]);
    }
    await pool.query(LOGIN_STATEMENTS.audit, ["login_succeeded", account.id, sessionId, "pwd", now]);
  };
  try {
    // Up to the cap first, so every measured login ends a session, as the bench's logins do.
    for (let i = 0; i < cap; i += 1) await login();
    return await rate(spec.concurrency, spec.durationSeconds, login);
  } finally {
    await pool.end();
  }
}

const RATES: Record<RawSpec["kind"], (spec: RawSpec) => Promise<number>> = { argon2: argon2Rate, cas: casRate, login: loginRate };

async function main(): Promise<void> {
  const spec = JSON.parse(await text(process.stdin)) as RawSpec;
  const opsPerSecond = await RATES[spec.kind](spec);
  const result: RawResult = { opsPerSecond };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `raw rate failed: ${error.message}` : "raw rate failed");
  process.exit(1);
});
