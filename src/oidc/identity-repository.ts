import type { Kysely } from "kysely";
import type { Dialect } from "../store/database.js";
import type { Database, IdentityRow } from "../store/tables.js";
import { NO_PASSWORD } from "../users/account.js";
import type { LinkedIdentity } from "./linked-identity.js";

/** Queries over `identities`: provider accounts linked to local users. */
export class IdentityRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {}

  find(provider: string, subject: string): Promise<IdentityRow | undefined> {
    return this.db.selectFrom("identities").selectAll().where("provider", "=", provider).where("subject", "=", subject).executeTakeFirst();
  }

  /** Oldest link first. */
  async listForUser(userId: string): Promise<LinkedIdentity[]> {
    const rows = await this.db
      .selectFrom("identities")
      .select(["provider", "email", "created_at"])
      .where("user_id", "=", userId)
      .orderBy("created_at", "asc")
      .execute();
    return rows.map((row) => ({ provider: row.provider, email: row.email, linkedAt: row.created_at }));
  }

  async insert(row: IdentityRow): Promise<void> {
    await this.db.insertInto("identities").values(row).execute();
  }

  /**
   * Unlinks the user's identity at `provider` only while another way in remains: a password, or
   * another linked identity. On PostgreSQL the account row is locked first: under READ COMMITTED
   * two unlinks of an account's last two identities, each checking that the other remains, would
   * otherwise both succeed and leave no way in (CWE-367). The second waits, then its statement
   * sees the first's delete. SQLite runs one writer at a time, and each statement sees the last commit.
   */
  async deleteUnlessLast(userId: string, provider: string): Promise<"deleted" | "last" | "absent"> {
    return this.db.transaction().execute(async (trx) => {
      if (this.dialect === "postgres") await trx.selectFrom("users").select("id").where("id", "=", userId).forUpdate().execute();
      const result = await trx
        .deleteFrom("identities")
        .where("user_id", "=", userId)
        .where("provider", "=", provider)
        .where((eb) =>
          eb.or([
            eb.exists(eb.selectFrom("users").select("id").where("id", "=", userId).where("password_hash", "!=", NO_PASSWORD)),
            eb.exists(
              eb
                .selectFrom("identities as other")
                .select("other.provider")
                .where("other.user_id", "=", userId)
                .where("other.provider", "!=", provider),
            ),
          ]),
        )
        .executeTakeFirst();
      if (Number(result.numDeletedRows) > 0) return "deleted";
      const still = await trx
        .selectFrom("identities")
        .select("provider")
        .where("user_id", "=", userId)
        .where("provider", "=", provider)
        .executeTakeFirst();
      return still ? "last" : "absent";
    });
  }
}
