import type { Kysely } from "kysely";
import type { Database, OidcLoginRow } from "../store/tables.js";

/** Pending sign-ins between startOidcLogin and completeOidcLogin. */
export class OidcLoginRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: OidcLoginRow): Promise<void> {
    await this.db.insertInto("oidc_logins").values(row).execute();
  }

  /**
   * Deletes and returns the row in one statement, so of two requests presenting the same cookie
   * only one gets it: each started sign-in is completed at most once (RFC 9700 §4.7.1).
   */
  take(id: string): Promise<OidcLoginRow | undefined> {
    return this.db.deleteFrom("oidc_logins").where("id", "=", id).returningAll().executeTakeFirst();
  }

  /** Drops sign-ins that were started and never completed. */
  async deleteExpired(now: number): Promise<void> {
    await this.db.deleteFrom("oidc_logins").where("expires_at", "<=", now).execute();
  }
}
