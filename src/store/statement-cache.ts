import type SQLite from "better-sqlite3";
import type { SqliteDatabase } from "kysely";
import { BoundedMap } from "../bounded-map.js";

/** Distinct statements kept; the app has a few dozen, so this only bounds a pathological caller. */
const CAPACITY = 500;

/**
 * better-sqlite3 with its prepared statements kept by SQL text. Kysely prepares every query anew,
 * and compiling the SQL was the largest single cost of a `me` request on SQLite (issue 8 profile:
 * ~5% of CPU). A statement is reusable once it has run, and SQLite re-prepares one by itself
 * after a schema change, so migrations need nothing special. Streaming (`iterate`) is not used.
 */
export function withStatementCache(database: SQLite.Database): SqliteDatabase {
  const statements = new BoundedMap<string, SQLite.Statement>(CAPACITY);
  return {
    close: () => database.close(),
    prepare(sql) {
      let statement = statements.get(sql);
      if (statement === undefined) {
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement;
    },
  };
}
