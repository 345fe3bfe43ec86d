import SQLite from "better-sqlite3";
import pg from "pg";
import { sqlitePath } from "../../src/store/database.js";
import type { TestStore } from "./stores.js";

/**
 * Runs one statement straight on a test store, beside the app's own connection: to set up what
 * the API cannot (an ADMIN role, a failing trigger). Placeholders are `?`, on both dialects.
 */
export async function execSql(store: TestStore, statement: string, params: readonly unknown[] = []): Promise<void> {
  if (store.name === "sqlite") {
    const db = new SQLite(sqlitePath(store.url) as string);
    try {
      if (params.length === 0) db.exec(statement);
      else db.prepare(statement).run(...params);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: store.url });
  await client.connect();
  try {
    let n = 0;
    await client.query(
      statement.replace(/\?/g, () => `$${++n}`),
      params as unknown[],
    );
  } finally {
    await client.end();
  }
}
