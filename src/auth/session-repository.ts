import type { Kysely } from "kysely";
import type { Database, NewSessionRow, SessionRow } from "../store/tables.js";

export type RevokeReason =
  | "logout"
  | "logout_all"
  | "revoked"
  | "password_changed"
  | "password_reset"
  | "email_changed"
  | "account_deleted"
  | "reuse";

/** Queries over `sessions`; the rules live in the session service. */
export class SessionRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insert(row: NewSessionRow): Promise<void> {
    await this.db.insertInto("sessions").values(row).execute();
  }

  find(id: string): Promise<SessionRow | undefined> {
    return this.db.selectFrom("sessions").selectAll().where("id", "=", id).executeTakeFirst();
  }

  /**
   * Compare-and-set rotation: moves the session from `fromGeneration` to the next one only if no
   * other request (in this process or another sharing the store) has moved it first, and only
   * while the session is still live. One statement, so a failure changes nothing.
   */
  async advance(
    id: string,
    fromGeneration: number,
    now: number,
    change: { expiresAt: number; parentValidUntil: number; userAgent: string | null; ipAddress: string | null },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable("sessions")
      .set({
        generation: fromGeneration + 1,
        last_used_at: now,
        expires_at: change.expiresAt,
        parent_valid_until: change.parentValidUntil,
        user_agent: change.userAgent,
        ip_address: change.ipAddress,
      })
      .where("id", "=", id)
      .where("generation", "=", fromGeneration)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends one live session; true when this call ended it. */
  async revoke(id: string, now: number, reason: RevokeReason): Promise<boolean> {
    const result = await this.db
      .updateTable("sessions")
      .set({ revoked_at: now, revoked_reason: reason })
      .where("id", "=", id)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** Ends a user's live sessions (all, or all but one) and returns the ids it ended. */
  async revokeAllForUser(userId: string, now: number, reason: RevokeReason, exceptId?: string): Promise<string[]> {
    let query = this.db
      .updateTable("sessions")
      .set({ revoked_at: now, revoked_reason: reason })
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now);
    if (exceptId !== undefined) query = query.where("id", "!=", exceptId);
    const rows = await query.returning("id").execute();
    return rows.map((row) => row.id);
  }

  listActive(userId: string, now: number): Promise<SessionRow[]> {
    return this.db
      .selectFrom("sessions")
      .selectAll()
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
  }

  /** Sessions revoked at or after `since`, for the access-token deny list. */
  revokedSince(since: number): Promise<{ id: string; revoked_at: number | null }[]> {
    return this.db.selectFrom("sessions").select(["id", "revoked_at"]).where("revoked_at", ">=", since).execute();
  }
}
