import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** The database a benchmark run owns: created empty, dropped at the end. */
export interface BenchStore {
  readonly name: "sqlite" | "postgres";
  readonly url: string;
  drop(): Promise<void>;
}

export const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

/** A fresh SQLite file in a temporary folder. */
export function sqliteStore(): BenchStore {
  const dir = mkdtempSync(join(tmpdir(), "auth-bench-"));
  return { name: "sqlite", url: `sqlite:${join(dir, "auth.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/** A fresh schema in the given PostgreSQL database, so a run never touches existing tables. */
export async function postgresStore(baseUrl: string): Promise<BenchStore> {
  const schema = `bench_${randomBytes(6).toString("hex")}`;
  await withClient(baseUrl, (client) => client.query(`create schema ${schema}`));
  const url = new URL(baseUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return {
    name: "postgres",
    url: url.toString(),
    drop: () => withClient(baseUrl, (client) => client.query(`drop schema if exists ${schema} cascade`)),
  };
}

async function withClient(url: string, work: (client: pg.Client) => Promise<unknown>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}
