import type { Kysely } from "kysely";
import type { Database, NewUserRow, UserRow } from "../store/tables.js";

export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: NewUserRow): Promise<void> {
    await this.db.insertInto("users").values(row).execute();
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /** By lower-cased username or email: names match ignoring case at login too. */
  findByLoginKey(key: string): Promise<UserRow | undefined> {
    const column = key.includes("@") ? "email_key" : "username_key";
    return this.db.selectFrom("users").selectAll().where(column, "=", key).executeTakeFirst();
  }

  async takenKeys(usernameKey: string, emailKey: string): Promise<{ username: boolean; email: boolean }> {
    const rows = await this.db
      .selectFrom("users")
      .select(["username_key", "email_key"])
      .where((eb) => eb.or([eb("username_key", "=", usernameKey), eb("email_key", "=", emailKey)]))
      .execute();
    return { username: rows.some((r) => r.username_key === usernameKey), email: rows.some((r) => r.email_key === emailKey) };
  }

  /**
   * Replaces the password and moves the credential version on; with `fromVersion`, only while the
   * account is still at it (false when another change came first). Through `db` when given.
   */
  async replacePassword(
    id: string,
    passwordHash: string,
    fromVersion: number | undefined,
    now: number,
    db: Kysely<Database> = this.db,
  ): Promise<boolean> {
    let query = db
      .updateTable("users")
      .set((eb) => ({ password_hash: passwordHash, credential_version: eb("credential_version", "+", 1), updated_at: now }))
      .where("id", "=", id);
    if (fromVersion !== undefined) query = query.where("credential_version", "=", fromVersion);
    const result = await query.executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Stores a stronger hash of the same password, only if the password is still the one checked: a
   * rehash that lost a race with a password change must not bring the old password back.
   */
  async rehashPassword(id: string, checkedHash: string, passwordHash: string, now: number): Promise<void> {
    await this.db
      .updateTable("users")
      .set({ password_hash: passwordHash, updated_at: now })
      .where("id", "=", id)
      .where("password_hash", "=", checkedHash)
      .execute();
  }

  async emailTaken(emailKey: string): Promise<boolean> {
    return (await this.db.selectFrom("users").select("id").where("email_key", "=", emailKey).executeTakeFirst()) !== undefined;
  }

  async markEmailVerified(id: string, now: number, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable("users").set({ email_verified: 1, updated_at: now }).where("id", "=", id).execute();
  }

  /** Moves the account to a proven address; the unique key refuses one another account holds. */
  async changeEmail(id: string, email: string, emailKey: string, now: number, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable("users").set({ email, email_key: emailKey, email_verified: 1, updated_at: now }).where("id", "=", id).execute();
  }

  async delete(id: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.deleteFrom("users").where("id", "=", id).execute();
  }

  /** Oldest first, as the `users` query promises. */
  list(limit: number, offset: number): Promise<UserRow[]> {
    return this.db.selectFrom("users").selectAll().orderBy("created_at", "asc").orderBy("id", "asc").limit(limit).offset(offset).execute();
  }
}
