import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { IdentityRepository } from "../src/oidc/identity-repository.js";
import { migrateToLatest } from "../src/store/migrations.js";
import type { Database } from "../src/store/tables.js";
import { NO_PASSWORD } from "../src/users/account.js";
import { userRow } from "./support/store-rows.js";
import { POSTGRES } from "./support/stores.js";

/**
 * An account made through two OpenID providers and no password, unlinking both at once from two
 * instances: each DELETE checked that the other identity remained, under READ COMMITTED both saw
 * it, and the account was left with no way in (CWE-367). One must be refused as the last.
 */
describe.skipIf(!POSTGRES)("unlinkIdentity racing on PostgreSQL", () => {
  it("never leaves a password-less account without an identity, over many rounds from two pools", async () => {
    const scratch = await (POSTGRES as NonNullable<typeof POSTGRES>).create();
    const open = () =>
      new Kysely<Database>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: scratch.url, max: 2 }) }) });
    const [a, b] = [open(), open()];
    try {
      await migrateToLatest(a, "postgres");
      const [instanceA, instanceB] = [new IdentityRepository(a, "postgres"), new IdentityRepository(b, "postgres")];
      const t = Date.now();
      for (let round = 0; round < 40; round++) {
        const userId = `u${round}`;
        await a
          .insertInto("users")
          .values(userRow(userId, t, { password_hash: NO_PASSWORD, credential_version: 1 }))
          .execute();
        for (const provider of ["google", "keycloak"]) {
          await a
            .insertInto("identities")
            .values({ user_id: userId, provider, subject: `${provider}-${userId}`, email: `${userId}@example.com`, created_at: t })
            .execute();
        }
        const outcomes = await Promise.all([instanceA.deleteUnlessLast(userId, "google"), instanceB.deleteUnlessLast(userId, "keycloak")]);
        const left = await a.selectFrom("identities").select("provider").where("user_id", "=", userId).execute();
        expect({ round, left: left.length, outcomes: [...outcomes].sort() }).toEqual({ round, left: 1, outcomes: ["deleted", "last"] });
      }
    } finally {
      await a.destroy();
      await b.destroy();
      await scratch.drop();
    }
  });
});
