import type { Kysely } from "kysely";
import type { AccountLinkRow, Database } from "../store/tables.js";

export type LinkPurpose = "password_reset" | "email_verification";

/** Queries over `account_links`, the single-use tokens that mailed links carry (stored as hashes). */
export class LinkRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * Records a new link and retires the account's earlier unused links of the same purpose, so only
   * the newest link works (OWASP Forgot Password Cheat Sheet). Runs in the caller's transaction.
   */
  async replace(db: Kysely<Database>, row: AccountLinkRow): Promise<void> {
    await this.retireAll(db, row.user_id, row.purpose, row.created_at);
    await db.insertInto("account_links").values(row).execute();
  }

  findByHash(tokenHash: string): Promise<AccountLinkRow | undefined> {
    return this.db.selectFrom("account_links").selectAll().where("token_hash", "=", tokenHash).executeTakeFirst();
  }

  /** Uses a link up by compare-and-set; true only for the one call that did, so a link works once. */
  async consume(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
    const result = await db
      .updateTable("account_links")
      .set({ used_at: now })
      .where("id", "=", id)
      .where("used_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Retires every unused link of the account for `purpose` (a completed reset voids the others). */
  async retireAll(db: Kysely<Database>, userId: string, purpose: LinkPurpose, now: number): Promise<void> {
    await db
      .updateTable("account_links")
      .set({ used_at: now })
      .where("user_id", "=", userId)
      .where("purpose", "=", purpose)
      .where("used_at", "is", null)
      .execute();
  }
}
