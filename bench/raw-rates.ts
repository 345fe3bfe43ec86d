/**
 * The floors the project's scenarios are compared with, measured without HTTP or GraphQL, in a
 * process of its own like the load generator: reads a RawSpec as JSON on stdin, prints a RawResult.
 * - `argon2`: argon2id verifications with the project's parameters (@node-rs/argon2 directly),
 *   `concurrency` at a time, as `login` runs them.
 * - `cas`: the rotation's compare-and-set UPDATE (`… where id = ? and generation = ? and revoked_at
 *   is null and expires_at > ?`) on PostgreSQL through a pool of the project's size (10), on a
 *   table of its own in the run's schema.
 */
import { text } from "node:stream/consumers";
import { type Algorithm, hash, verify } from "@node-rs/argon2";
import pg from "pg";
import { ARGON2_PARAMETERS } from "../src/users/password-hasher.js";

export interface RawSpec {
  readonly kind: "argon2" | "cas";
  readonly concurrency: number;
  readonly durationSeconds: number;
  /** `cas` only. */
  readonly databaseUrl?: string;
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

async function main(): Promise<void> {
  const spec = JSON.parse(await text(process.stdin)) as RawSpec;
  const opsPerSecond = spec.kind === "argon2" ? await argon2Rate(spec) : await casRate(spec);
  const result: RawResult = { opsPerSecond };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `raw rate failed: ${error.message}` : "raw rate failed");
  process.exit(1);
});
