import type { Kysely } from "kysely";
import type { Database, IdentityRow } from "../store/tables.js";
import { NO_PASSWORD } from "../users/account.js";
import type { LinkedIdentity } from "./linked-identity.js";

/** Queries over `identities`: provider accounts linked to local users. */
export class IdentityRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
   * another linked identity. One statement, so the check and the delete see the same rows.
   */
  async deleteUnlessLast(userId: string, provider: string): Promise<"deleted" | "last" | "absent"> {
    const result = await this.db
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
    const still = await this.db
      .selectFrom("identities")
      .select("provider")
      .where("user_id", "=", userId)
      .where("provider", "=", provider)
      .executeTakeFirst();
    return still ? "last" : "absent";
  }
}
