import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A store made for one run and dropped after it: a fresh SQLite file, or a fresh PostgreSQL schema. */
export interface ScratchStore {
  readonly name: "sqlite" | "postgres";
  /** A DATABASE_URL pointing at this store. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A SQLite file in a new temporary folder named `<prefix>-…`; dropping removes the folder. */
export function scratchSqlite(prefix: string): ScratchStore {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  return { name: "sqlite", url: `sqlite:${join(dir, "auth.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A new schema `<prefix>_<random>` in the database at `baseUrl`, reached through `search_path`, so
 * parallel runs never touch each other's tables (or anything already there).
 */
export async function scratchPostgres(baseUrl: string, prefix: string): Promise<ScratchStore> {
  const schema = `${prefix}_${randomBytes(6).toString("hex")}`;
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
