import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";

/** A store for one test file: a fresh SQLite file, or a fresh PostgreSQL schema. */
export interface TestStore {
  readonly name: "sqlite" | "postgres";
  /** A DATABASE_URL pointing at this store. */
  readonly url: string;
  drop(): Promise<void>;
}

export interface StoreKind {
  readonly name: "sqlite" | "postgres";
  create(): Promise<TestStore>;
}

const sqlite: StoreKind = {
  name: "sqlite",
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "auth-test-"));
    return { name: "sqlite", url: `sqlite:${join(dir, "auth.db")}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  },
};

/** Each test store is its own schema, so parallel files and runs never collide. */
const postgres = (baseUrl: string): StoreKind => ({
  name: "postgres",
  async create() {
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const admin = new pg.Client({ connectionString: baseUrl });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const url = new URL(baseUrl);
    url.searchParams.set("options", `-c search_path=${schema}`);
    return {
      name: "postgres",
      url: url.toString(),
      async drop() {
        const client = new pg.Client({ connectionString: baseUrl });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
      },
    };
  },
});

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

/** SQLite always; PostgreSQL when TEST_DATABASE_URL is set. Use with `describe.each(STORES)`. */
export const STORES: readonly StoreKind[] = [sqlite, ...(TEST_DATABASE_URL ? [postgres(TEST_DATABASE_URL)] : [])];
export const POSTGRES: StoreKind | undefined = TEST_DATABASE_URL ? postgres(TEST_DATABASE_URL) : undefined;
export const SQLITE = sqlite;
