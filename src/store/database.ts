import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, PostgresDialect, SqliteDialect, sql } from "kysely";
import type pg from "pg";
import type { Logger } from "pino";
import { isConnectionFault } from "../faults/connection-faults.js";
import { OutageLog } from "../faults/outage-log.js";
import { withNamedStatements } from "./named-statements.js";
import { withStatementCache } from "./statement-cache.js";
import type { Database as Tables } from "./tables.js";

export type Dialect = "sqlite" | "postgres";

export interface Store {
  readonly db: Kysely<Tables>;
  readonly dialect: Dialect;
  /** The connection string, for components that open their own connection (LISTEN/NOTIFY). */
  readonly url: string;
  /** Says once when the store stops answering and once when it is back. */
  readonly outage: OutageLog;
  /** Fails when the store does not answer within a few seconds. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

const INT8_OID = 20;
/** A connection attempt to an unreachable server fails after this, instead of holding the request. */
const CONNECT_TIMEOUT_MS = 3_000;

const SQLITE_PREFIX = "sqlite:";

/** The file of a `sqlite:<path>` store URL; undefined for a PostgreSQL URL. */
export function sqlitePath(url: string): string | undefined {
  return url.startsWith(SQLITE_PREFIX) ? url.slice(SQLITE_PREFIX.length) : undefined;
}

/**
 * Opens the store named by `DATABASE_URL`: `sqlite:<path>` or `postgres://…`. The PostgreSQL
 * driver is loaded only for a PostgreSQL URL: on SQLite it would hold ~2 MB of heap for nothing.
 */
export async function openStore(
  url: string,
  logger: Logger,
  /** PostgreSQL: send the hot queries as named prepared statements (named-statements.ts). */
  options: { preparedStatements?: boolean } = {},
): Promise<Store> {
  const outage = new OutageLog(logger, {
    what: "store",
    meanwhile: "operations that need it fail until it returns",
    level: "error",
    isFault: isConnectionFault,
  });
  const path = sqlitePath(url);
  const db =
    path !== undefined ? openSqlite(path) : openPostgres((await import("pg")).default, url, outage, options.preparedStatements ?? false);
  const dialect: Dialect = path !== undefined ? "sqlite" : "postgres";
  return {
    db,
    dialect,
    url,
    outage,
    async ping() {
      try {
        await sql`select 1`.execute(db);
      } catch (error) {
        outage.failed(error);
        throw error;
      }
      outage.recovered();
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
  return new Kysely<Tables>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
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

function openPostgres(driver: typeof pg, url: string, outage: OutageLog, preparedStatements: boolean): Kysely<Tables> {
  const pool = new driver.Pool({
    connectionString: url,
    max: 10,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    // Epoch-millisecond BIGINT columns and count(*) come back as numbers, as they do from SQLite.
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === INT8_OID ? Number : driver.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // node-postgres emits "error" on a client whose connection the server ends (a restart, a
  // failover: 57P01). The pool listens only while a client is idle; a checked-out client between
  // two statements has no listener, and Node ends the process on an unheard "error". So every
  // client gets a listener for life. The pool drops a broken client when it is released, and the
  // next query opens a new connection, which is how a restart is survived without ours.
  pool.on("connect", (client) => {
    client.on("error", (error) => outage.failed(error));
    outage.recovered();
  });
  pool.on("error", (error) => outage.failed(error));
  return new Kysely<Tables>({ dialect: new PostgresDialect({ pool: preparedStatements ? withNamedStatements(pool) : pool }) });
}
