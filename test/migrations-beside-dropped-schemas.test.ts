import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { createLogger } from "../src/logger.js";
import { openStore } from "../src/store/database.js";
import { migrateToLatest } from "../src/store/migrations.js";
import { POSTGRES, TEST_DATABASE_URL } from "./support/stores.js";

/**
 * Several deployments (or parallel test runs) sharing one PostgreSQL database: Kysely's migration
 * check scans every schema's catalog, and one dropped by someone else mid-scan used to fail our
 * start with `schema "…" does not exist` (3F000). Here other schemas come and go as fast as the
 * server allows while fresh stores migrate.
 */
describe.skipIf(!POSTGRES)("migrating while other schemas are dropped beside ours", () => {
  it("migrates every store: a schema vanishing elsewhere is not our failure", async () => {
    const churners = Array.from({ length: 3 }, () => new pg.Client({ connectionString: TEST_DATABASE_URL }));
    await Promise.all(churners.map((client) => client.connect()));
    let churning = true;
    const tables = Array.from({ length: 20 }, (_, i) => `t${i} (id int, a text, b text)`);
    const churning$ = Promise.all(
      churners.map(async (churn) => {
        while (churning) {
          const name = `churn_${randomBytes(5).toString("hex")}`;
          await churn.query(`create schema ${name}; ${tables.map((t) => `create table ${name}.${t};`).join(" ")}`);
          await churn.query(`drop schema ${name} cascade`);
        }
      }),
    );
    try {
      for (let i = 0; i < 8; i++) {
        const test = await (POSTGRES as NonNullable<typeof POSTGRES>).create();
        const store = await openStore(test.url, createLogger("silent"));
        try {
          expect((await migrateToLatest(store.db, store.dialect)).length).toBeGreaterThan(0);
        } finally {
          await store.close();
          await test.drop();
        }
      }
    } finally {
      churning = false;
      await churning$;
      await Promise.all(churners.map((client) => client.end()));
    }
  });
});
