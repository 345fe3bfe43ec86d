import SQLite from "better-sqlite3";
import pg from "pg";
import { sqlitePath } from "../../src/store/database.js";
import type { TestStore } from "./stores.js";

/**
 * Runs one statement straight on a test store, beside the app's own connection: to set up what
 * the API cannot (an ADMIN role, a failing trigger). Placeholders are `?`, on both dialects.
 */
export async function execSql(store: TestStore, statement: string, params: readonly unknown[] = []): Promise<void> {
  await querySql(store, statement, params);
}

/** Runs one query straight on a test store and returns its rows, to check what the app has stored. */
export async function querySql<Row = Record<string, unknown>>(
  store: TestStore,
  statement: string,
  params: readonly unknown[] = [],
): Promise<Row[]> {
  if (store.name === "sqlite") {
    const db = new SQLite(sqlitePath(store.url) as string);
    try {
      if (params.length === 0 && !/^\s*select/i.test(statement)) {
        db.exec(statement);
        return [];
      }
      const prepared = db.prepare(statement);
      if (prepared.reader) return prepared.all(...params) as Row[];
      prepared.run(...params);
      return [];
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: store.url });
  await client.connect();
  try {
    let n = 0;
    const result = await client.query(
      statement.replace(/\?/g, () => `$${++n}`),
      params as unknown[],
    );
    return result.rows as Row[];
  } finally {
    await client.end();
  }
}
