import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { SessionRepository } from "../src/auth/session-repository.js";
import { migrateToLatest } from "../src/store/migrations.js";
import { withNamedStatements } from "../src/store/named-statements.js";
import type { Database } from "../src/store/tables.js";
import { UserRepository } from "../src/users/user-repository.js";
import { sessionRow, userRow } from "./support/store-rows.js";
import { POSTGRES } from "./support/stores.js";

/**
 * Issue 8: on PostgreSQL the reads of every `me` and refresh go as named prepared statements,
 * planned once per connection. One connection here, so pg_prepared_statements shows them all.
 */
describe.skipIf(!POSTGRES)("named prepared statements on PostgreSQL", () => {
  it("prepares the hot reads once, leaves other queries unnamed, and keeps working after a migration adds columns", async () => {
    const scratch = await (POSTGRES as NonNullable<typeof POSTGRES>).create();
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: withNamedStatements(new pg.Pool({ connectionString: scratch.url, max: 1 })) }),
    });
    try {
      await migrateToLatest(db, "postgres");
      const users = new UserRepository(db);
      const sessions = new SessionRepository(db, "postgres");
      const t = Date.now();
      await db
        .insertInto("users")
        .values(userRow("u1", t, { username: "alice", email_verified: 0, credential_version: 1 }))
        .execute();
      await db
        .insertInto("sessions")
        .values(sessionRow("s1", "u1", t, { credential_version: 1 }))
        .execute();

      for (let i = 0; i < 3; i++) {
        expect((await users.findById("u1"))?.username).toBe("alice");
        expect((await sessions.find("s1"))?.generation).toBe(0);
      }
      const prepared = await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(db);
      // Two named statements, each prepared once; the inserts and this query went unnamed.
      expect(prepared.rows.map((row) => (/from "(\w+)"/.exec(row.statement) ?? [])[1]).sort()).toEqual(["sessions", "users"]);

      // A later deployment's migration adds columns while these statements stay prepared: a
      // `select *` would now fail with "cached plan must not change result type".
      await sql`alter table sessions add column added_later text`.execute(db);
      await sql`alter table users add column added_later text`.execute(db);
      expect((await users.findById("u1"))?.username).toBe("alice");
      expect((await sessions.find("s1"))?.generation).toBe(0);
      expect(await sessions.advance("s1", 0, t, { expiresAt: t + 60_000, parentValidUntil: t, userAgent: null, ipAddress: null })).toBe(
        true,
      );
    } finally {
      await db.destroy();
      await scratch.drop();
    }
  });
});
