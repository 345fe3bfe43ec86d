import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import pg from "pg";
import type { Database as Tables } from "./tables.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  /** The connection string, for components that open their own connection (LISTEN/NOTIFY). */
  readonly url: string;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;

const SQLITE_PREFIX = "sqlite:";

/** The file of a `sqlite:<path>` store URL; undefined for a PostgreSQL URL. */
export function sqlitePath(url: string): string | undefined {
  return url.startsWith(SQLITE_PREFIX) ? url.slice(SQLITE_PREFIX.length) : undefined;
}

/** Opens the store named by `DATABASE_URL`: `sqlite:<path>` or `postgres://…`. */
export function openStore(url: string, onPoolError: (error: Error) => void = () => {}): Store {
  const path = sqlitePath(url);
  const db = path !== undefined ? openSqlite(path) : openPostgres(url, onPoolError);
  const dialect: Dialect = path !== undefined ? "sqlite" : "postgres";
  return {
    db,
    dialect,
    url,
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      await db.destroy();
    },
  };
}

function openSqlite(path: string): Kysely<Tables> {
  if (path !== ":memory:") createPrivately(path);
  const database = new SQLite(path);
  // WAL lets readers run beside the writer; busy_timeout waits out a writer instead of failing.
  database.pragma("journal_mode = WAL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  database.pragma("synchronous = NORMAL");
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database }) });
}

/**
 * The database holds password hashes and session seeds: a folder and file the service creates are
 * its owner's alone (0700 / 0600, OWASP ASVS 13.3.2). SQLite gives its -wal and -shm files the mode
 * of the database file. An existing file keeps the mode its operator gave it.
 */
function createPrivately(path: string) {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // "a" creates the file if it is missing and never truncates one that exists.
  closeSync(openSync(path, "a", 0o600));
}

function openPostgres(url: string, onPoolError: (error: Error) => void): Kysely<Tables> {
  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    // Epoch-millisecond BIGINT columns and count(*) come back as numbers, as they do from SQLite.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on("error", onPoolError);
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
}
