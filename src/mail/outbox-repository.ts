import type { Kysely } from "kysely";
import type { Database, MailOutboxRow } from "../store/tables.js";

export interface NewOutboxMail {
  readonly id: string;
  readonly userId: string | null;
  readonly purpose: string;
  readonly sealed: string;
  readonly now: number;
}

/** Where a mail stands: waiting for its first attempt or a retry, or given up on. Delivered mail is deleted. */
export type OutboxStatus = "pending" | "failed";

/** Queries over `mail_outbox`; the delivery rules live in the mail worker. */
export class OutboxRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts through `db`, which may be the transaction that also writes the token the mail carries. */
  async insert(db: Kysely<Database>, mail: NewOutboxMail): Promise<void> {
    await db
      .insertInto("mail_outbox")
      .values({
        id: mail.id,
        user_id: mail.userId,
        purpose: mail.purpose,
        sealed: mail.sealed,
        status: "pending",
        attempts: 0,
        next_attempt_at: mail.now,
        lease_until: 0,
        last_error: null,
        created_at: mail.now,
      })
      .execute();
  }

  /** How many mails the outbox holds in each status (GET /metrics), through mail_outbox_due_idx. */
  async countByStatus(): Promise<Record<OutboxStatus, number>> {
    const rows = await this.db
      .selectFrom("mail_outbox")
      .select((eb) => ["status", eb.fn.countAll<number | string>().as("count")])
      .groupBy("status")
      .execute();
    const counts: Record<OutboxStatus, number> = { pending: 0, failed: 0 };
    for (const { status, count } of rows) if (Object.hasOwn(counts, status)) counts[status as OutboxStatus] = Number(count);
    return counts;
  }

  /** Ids of pending mail that is due and claimed by no live lease, oldest due first. */
  async due(now: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom("mail_outbox")
      .select("id")
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .where("lease_until", "<=", now)
      .orderBy("next_attempt_at")
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /**
   * Claims one mail by compare-and-set: the update re-checks that the mail is still due and
   * unleased, so of several workers (in one process or many sharing the store) exactly one gets
   * the row back. On PostgreSQL a racing update waits for the winner's commit and then finds the
   * lease taken; on SQLite writers are serialised.
   */
  async claim(id: string, now: number, leaseUntil: number): Promise<MailOutboxRow | undefined> {
    return this.db
      .updateTable("mail_outbox")
      .set((eb) => ({ lease_until: leaseUntil, attempts: eb("attempts", "+", 1) }))
      .where("id", "=", id)
      .where("status", "=", "pending")
      .where("next_attempt_at", "<=", now)
      .where("lease_until", "<=", now)
      .returningAll()
      .executeTakeFirst();
  }

  async delete(id: string): Promise<void> {
    await this.db.deleteFrom("mail_outbox").where("id", "=", id).execute();
  }

  async retryLater(id: string, nextAttemptAt: number, error: string): Promise<void> {
    await this.db
      .updateTable("mail_outbox")
      .set({ next_attempt_at: nextAttemptAt, lease_until: 0, last_error: error })
      .where("id", "=", id)
      .execute();
  }

  async markFailed(id: string, error: string): Promise<void> {
    await this.db.updateTable("mail_outbox").set({ status: "failed", lease_until: 0, last_error: error }).where("id", "=", id).execute();
  }

  /** Gives a claimed mail back untouched (shutdown before its delivery started). */
  async release(id: string): Promise<void> {
    await this.db
      .updateTable("mail_outbox")
      .set((eb) => ({ lease_until: 0, attempts: eb("attempts", "-", 1) }))
      .where("id", "=", id)
      .execute();
  }

  async deleteForUser(db: Kysely<Database>, userId: string): Promise<void> {
    await db.deleteFrom("mail_outbox").where("user_id", "=", userId).execute();
  }
}
