import { type ScratchStore, scratchPostgres, scratchSqlite } from "../../support/scratch-stores.js";

/** A store for one test file: a fresh SQLite file, or a fresh PostgreSQL schema. */
export type TestStore = ScratchStore;

export interface StoreKind {
  readonly name: "sqlite" | "postgres";
  create(): Promise<TestStore>;
}

const sqlite: StoreKind = { name: "sqlite", create: async () => scratchSqlite("auth-test") };

/** Each test store is its own schema, so parallel files and runs never collide. */
const postgres = (baseUrl: string): StoreKind => ({ name: "postgres", create: () => scratchPostgres(baseUrl, "t") });

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;

/** SQLite always; PostgreSQL when TEST_DATABASE_URL is set. Use with `describe.each(STORES)`. */
export const STORES: readonly StoreKind[] = [sqlite, ...(TEST_DATABASE_URL ? [postgres(TEST_DATABASE_URL)] : [])];
export const POSTGRES: StoreKind | undefined = TEST_DATABASE_URL ? postgres(TEST_DATABASE_URL) : undefined;
export const SQLITE = sqlite;
