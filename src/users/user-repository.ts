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

  /** Through `db` when given (the caller's transaction). */
  async updatePasswordHash(id: string, passwordHash: string, now: number, db: Kysely<Database> = this.db): Promise<void> {
    await db.updateTable("users").set({ password_hash: passwordHash, updated_at: now }).where("id", "=", id).execute();
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
