import type { Kysely } from "kysely";
import { compiledOnce } from "../store/compiled-once.js";
import type { Database, UserRow } from "../store/tables.js";
import type { Account } from "./account.js";
import { isRole } from "./roles.js";
import type { User } from "./user.js";

/** The lower-cased username and email (identityKey) an account is unique and found under. */
export interface LookupKeys {
  readonly usernameKey: string;
  readonly emailKey: string;
}

/** The columns a User is made of: reading a User never reads the password hash. */
const USER_COLUMNS = ["id", "username", "email", "email_verified", "roles", "created_at", "updated_at"] as const;

/** Queries over `users`; rows stay in here, callers get Users and Accounts. */
export class UserRepository {
  /** `me` reads it on every request: compiled once. */
  private readonly userById;

  constructor(private readonly db: Kysely<Database>) {
    this.userById = compiledOnce(db, (id: string) => db.selectFrom("users").select(USER_COLUMNS).where("id", "=", id), ["user-id"]);
  }

  async insert(account: Account, keys: LookupKeys): Promise<void> {
    const { user } = account;
    await this.db
      .insertInto("users")
      .values({
        id: user.id,
        username: user.username,
        username_key: keys.usernameKey,
        email: user.email,
        email_key: keys.emailKey,
        password_hash: account.passwordHash,
        email_verified: user.emailVerified ? 1 : 0,
        roles: user.roles.join(","),
        credential_version: account.credentialVersion,
        created_at: user.createdAt,
        updated_at: user.updatedAt,
      })
      .execute();
  }

  async findById(id: string): Promise<User | undefined> {
    const [row] = (await this.userById(id)).rows;
    return row && toUser(row);
  }

  async findAccountById(id: string): Promise<Account | undefined> {
    const row = await this.db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toAccount(row);
  }

  /** By lower-cased username or email: names match ignoring case at login too. */
  async findByLoginKey(key: string): Promise<Account | undefined> {
    const column = key.includes("@") ? "email_key" : "username_key";
    const row = await this.db.selectFrom("users").selectAll().where(column, "=", key).executeTakeFirst();
    return row && toAccount(row);
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
  async list(limit: number, offset: number): Promise<User[]> {
    const rows = await this.db
      .selectFrom("users")
      .select(USER_COLUMNS)
      .orderBy("created_at", "asc")
      .orderBy("id", "asc")
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(toUser);
  }
}

/** The one place a `users` row becomes a User: the 0/1 flag a boolean, the role list parsed. */
export function toUser(row: Pick<UserRow, (typeof USER_COLUMNS)[number]>): User {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    emailVerified: row.email_verified === 1,
    roles: row.roles.split(",").filter(isRole),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toAccount(row: UserRow): Account {
  return { user: toUser(row), passwordHash: row.password_hash, credentialVersion: row.credential_version };
}
