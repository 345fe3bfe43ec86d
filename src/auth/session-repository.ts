import { type Expression, type Kysely, type NotNull, type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import { compiledOnce } from "../store/compiled-once.js";
import type { Dialect } from "../store/database.js";
import { GroupCommit } from "../store/group-commit.js";
import type { Database, SessionRow } from "../store/tables.js";
import type { User } from "../users/user.js";
import { toUser } from "../users/user-repository.js";
import type { Session, SessionRecord } from "./session.js";

export type RevokeReason =
  | "logout"
  | "logout_all"
  | "revoked"
  | "password_changed"
  | "password_reset"
  | "email_changed"
  | "account_deleted"
  | "session_cap"
  | "reuse";

/** The columns a Session is made of: listing sessions never reads their refresh seeds. */
const SESSION_COLUMNS = ["id", "user_id", "created_at", "last_used_at", "expires_at", "user_agent", "ip_address", "idp", "amr"] as const;

/**
 * What the rotation rules read besides: named, not `*`, so a column a later migration adds
 * cannot change the result of a statement PostgreSQL holds prepared (named-statements.ts).
 */
const RECORD_COLUMNS = [
  ...SESSION_COLUMNS,
  "seed",
  "generation",
  "absolute_expires_at",
  "parent_valid_until",
  "revoked_at",
  "credential_version",
] as const;

/** The compare-and-set's parameters, in the order of its placeholders. */
type AdvanceParams = [number, number, number, number, string | null, string | null, string, number, number];

/** Compare-and-sets per SQLite write transaction at most. */
const ADVANCES_PER_TRANSACTION = 100;

/** A query naming session ids, as `where("id", "in", …)` takes one. */
type SessionIds = SelectQueryBuilder<Database, "sessions", { id: string }>;

/**
 * "The session is one of `ids`", for a statement that ends several sessions at once. On PostgreSQL
 * the sessions are locked in id order first. An UPDATE locks rows in whatever order its plan
 * visits them, so two such statements over overlapping sessions (concurrent logins of one account
 * applying the cap, or one beside a password change ending them all) could each hold a row the
 * other waits for: PostgreSQL then fails one with "deadlock detected" (40P01) after a second's
 * wait. Taken in one order, locks cannot form a cycle; a row another request ended meanwhile is
 * re-checked and skipped. Both lists are `= any(array(…))`, which PostgreSQL computes once. As
 * `in (…)`, its planner re-ran the cap's surplus query once for every live session of the account:
 * at the default cap of 50, ~2,400 buffer reads and ~0.9 ms of the database per login, against
 * ~145 and ~0.2 ms this way (issue 8). SQLite runs one writer at a time, and it computes an
 * `in (…)` list once.
 */
function idAmong(db: Kysely<Database>, dialect: Dialect, ids: SessionIds): Expression<SqlBool> {
  if (dialect !== "postgres") return sql<SqlBool>`${sql.ref("id")} in (${ids})`;
  const locked = db
    .selectFrom("sessions")
    .select("id")
    .where(sql<SqlBool>`${sql.ref("id")} = any(array(${ids}))`)
    .where("revoked_at", "is", null)
    .orderBy("id")
    .forUpdate();
  return sql<SqlBool>`${sql.ref("id")} = any(array(${locked}))`;
}

/**
 * Ends the user's live sessions after the `keep` most recently used, at most 1,000 at a time, and
 * returns their ids. The subquery's `revoked_at is null` lets it walk sessions_live_idx in order,
 * touching live rows only; the outer one leaves alone a session another request ended meanwhile.
 */
export function endSessionsBeyond(db: Kysely<Database>, dialect: Dialect, revokedAt: number, userId: string, now: number, keep: number) {
  const surplus = db
    .selectFrom("sessions")
    .select("id")
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", now)
    .orderBy("last_used_at", "desc")
    .orderBy("created_at", "desc")
    .limit(sql.lit(1000))
    .offset(keep);
  return db
    .updateTable("sessions")
    .set({ revoked_at: revokedAt, revoked_reason: sql.lit("session_cap") })
    .where("revoked_at", "is", null)
    .where(idAmong(db, dialect, surplus))
    .returning("id");
}

/** Ends all the user's live sessions, or all but `exceptId`, and returns their ids. */
export function endSessionsOf(
  db: Kysely<Database>,
  dialect: Dialect,
  revokedAt: number,
  reason: RevokeReason,
  userId: string,
  exceptId?: string,
) {
  let live = db
    .selectFrom("sessions")
    .select("id")
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .where("expires_at", ">", revokedAt);
  if (exceptId !== undefined) live = live.where("id", "!=", exceptId);
  return db
    .updateTable("sessions")
    .set({ revoked_at: revokedAt, revoked_reason: reason })
    .where("revoked_at", "is", null)
    .where(idAmong(db, dialect, live))
    .returning("id");
}

/** Queries over `sessions`; the rules live in the session service. Rows stay in here. */
export class SessionRepository {
  /** Every refresh reads and advances a session: both compiled once. */
  private readonly rowById;
  /** Every refresh reads its session with the account it belongs to. */
  private readonly rowWithOwnerById;
  private readonly advanceGeneration;
  /** Every login applies the per-account cap. */
  private readonly endBeyond;
  /** SQLite: the compare-and-sets of one event-loop turn, in one write transaction. */
  private readonly advances?: GroupCommit<AdvanceParams, boolean>;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: Dialect,
  ) {
    this.rowById = compiledOnce(db, (id: string) => db.selectFrom("sessions").select(RECORD_COLUMNS).where("id", "=", id), ["session-id"]);
    this.rowWithOwnerById = compiledOnce(
      db,
      (id: string) =>
        db
          .selectFrom("sessions")
          .innerJoin("users", "users.id", "sessions.user_id")
          .select(RECORD_COLUMNS.map((column) => `sessions.${column}` as const))
          .select([
            "users.username",
            "users.email",
            "users.email_verified",
            "users.roles",
            "users.created_at as user_created_at",
            "users.updated_at as user_updated_at",
          ])
          .where("sessions.id", "=", id),
      ["session-id"],
    );
    this.advanceGeneration = compiledOnce(
      db,
      (
        nextGeneration: number,
        lastUsedAt: number,
        expiresAt: number,
        parentValidUntil: number,
        userAgent: string | null,
        ipAddress: string | null,
        id: string,
        fromGeneration: number,
        now: number,
      ) =>
        db
          .updateTable("sessions")
          .set({
            generation: nextGeneration,
            last_used_at: lastUsedAt,
            expires_at: expiresAt,
            parent_valid_until: parentValidUntil,
            user_agent: userAgent,
            ip_address: ipAddress,
          })
          .where("id", "=", id)
          .where("generation", "=", fromGeneration)
          .where("revoked_at", "is", null)
          .where("expires_at", ">", now)
          // A session made before the account's last password change never moves on (ASVS 7.4.3).
          .where("credential_version", "=", (eb) =>
            eb.selectFrom("users").select("users.credential_version").whereRef("users.id", "=", "sessions.user_id"),
          ),
      [-1, -2, -3, -4, "user-agent", "ip-address", "session-id", -5, -6],
    );
    if (dialect === "sqlite") {
      const advanceGeneration = this.advanceGeneration;
      this.advances = new GroupCommit(
        (turn) =>
          db.transaction().execute(async (trx) => {
            const advance = advanceGeneration.on(trx);
            const advanced: boolean[] = [];
            for (const params of turn) advanced.push(Number((await advance(...params)).numAffectedRows ?? 0) === 1);
            return advanced;
          }),
        ADVANCES_PER_TRANSACTION,
      );
    }
    this.endBeyond = compiledOnce(
      db,
      (revokedAt: number, userId: string, now: number, keep: number) => endSessionsBeyond(db, dialect, revokedAt, userId, now, keep),
      [-1, "user-id", -2, -3],
    );
  }

  /**
   * Stores the session only while its account is still at the record's credential version, in one
   * statement; false when a password change came in between (CWE-367: the check and the insert
   * cannot be split). On PostgreSQL the account row is read FOR SHARE: an insert waits for a
   * change in flight and then sees its new version, and a change waits for the insert to commit,
   * so its revocation sweep sees the new session.
   */
  async insertIfCredentialCurrent(record: SessionRecord): Promise<boolean> {
    const row = toRow(record);
    const columns = Object.keys(row) as (keyof SessionRow)[];
    const result = await this.db
      .insertInto("sessions")
      .columns(columns)
      .expression((eb) => {
        const account = eb
          .selectFrom("users")
          .select(columns.map((column) => eb.val(row[column]).as(column)))
          .where("id", "=", row.user_id)
          .where("credential_version", "=", row.credential_version);
        return this.dialect === "postgres" ? account.forShare() : account;
      })
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  async find(id: string): Promise<SessionRecord | undefined> {
    const [row] = (await this.rowById(id)).rows;
    return row && toRecord(row);
  }

  /**
   * The session with the user it belongs to, in one statement: a refresh needs both, and a
   * statement less was ~10% of a refresh's CPU (issue 8).
   */
  async findWithOwner(id: string): Promise<{ record: SessionRecord; owner: User } | undefined> {
    const [row] = (await this.rowWithOwnerById(id)).rows;
    if (!row) return undefined;
    const owner = toUser({
      id: row.user_id,
      username: row.username,
      email: row.email,
      email_verified: row.email_verified,
      roles: row.roles,
      created_at: row.user_created_at,
      updated_at: row.user_updated_at,
    });
    return { record: toRecord(row), owner };
  }

  /**
   * Compare-and-set rotation: moves the session from `fromGeneration` to the next one only if no
   * other request (in this process or another sharing the store) has moved it first, and only
   * while the session is still live. One statement, so a failure changes nothing. On SQLite the
   * turn's compare-and-sets run one after another in one write transaction (issue 8: each
   * transaction of its own locked the file and appended to the WAL anew), each answering for itself.
   */
  async advance(
    id: string,
    fromGeneration: number,
    now: number,
    change: { expiresAt: number; parentValidUntil: number; userAgent: string | null; ipAddress: string | null },
  ): Promise<boolean> {
    const params: AdvanceParams = [
      fromGeneration + 1,
      now,
      change.expiresAt,
      change.parentValidUntil,
      change.userAgent,
      change.ipAddress,
      id,
      fromGeneration,
      now,
    ];
    if (this.advances) return this.advances.add(params);
    const { numAffectedRows } = await this.advanceGeneration(...params);
    return Number(numAffectedRows ?? 0) === 1;
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

  /** Ends a user's live sessions (all, or all but one) and returns the ids it ended; through `db` when given. */
  async revokeAllForUser(
    userId: string,
    now: number,
    reason: RevokeReason,
    exceptId?: string,
    db: Kysely<Database> = this.db,
  ): Promise<string[]> {
    const rows = await endSessionsOf(db, this.dialect, now, reason, userId, exceptId).execute();
    return rows.map((row) => row.id);
  }

  /** Ends the user's live sessions beyond the `keep` most recently used; returns the ids it ended. */
  async revokeLeastRecentlyUsed(userId: string, keep: number, now: number): Promise<string[]> {
    const { rows } = await this.endBeyond(now, userId, now, keep);
    return rows.map((row) => row.id);
  }

  async listActive(userId: string, now: number): Promise<Session[]> {
    const rows = await this.db
      .selectFrom("sessions")
      .select(SESSION_COLUMNS)
      .where("user_id", "=", userId)
      .where("revoked_at", "is", null)
      .where("expires_at", ">", now)
      .orderBy("created_at", "desc")
      .orderBy("id", "desc")
      .execute();
    return rows.map(toSession);
  }

  /** Sessions revoked at or after `since`, for the access-token deny list. */
  async revokedSince(since: number): Promise<{ sessionId: string; revokedAt: number }[]> {
    const rows = await this.db
      .selectFrom("sessions")
      .select(["id", "revoked_at"])
      .where("revoked_at", ">=", since)
      // A comparison with NULL is never true, so every row found has a revocation time.
      .$narrowType<{ revoked_at: NotNull }>()
      .execute();
    return rows.map((row) => ({ sessionId: row.id, revokedAt: row.revoked_at }));
  }
}

/** The one place a `sessions` row becomes a Session: the comma-separated amr split. */
function toSession(row: Pick<SessionRow, (typeof SESSION_COLUMNS)[number]>): Session {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    expiresAt: row.expires_at,
    userAgent: row.user_agent,
    ipAddress: row.ip_address,
    idp: row.idp,
    amr: row.amr ? row.amr.split(",") : [],
  };
}

function toRecord(row: Pick<SessionRow, (typeof RECORD_COLUMNS)[number]>): SessionRecord {
  return {
    session: toSession(row),
    seed: row.seed,
    generation: row.generation,
    absoluteExpiresAt: row.absolute_expires_at,
    parentValidUntil: row.parent_valid_until,
    revokedAt: row.revoked_at,
    credentialVersion: row.credential_version,
  };
}

/** The row of a session about to be stored. */
function toRow(record: SessionRecord): SessionRow {
  const { session } = record;
  return {
    id: session.id,
    user_id: session.userId,
    seed: record.seed,
    generation: record.generation,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    expires_at: session.expiresAt,
    absolute_expires_at: record.absoluteExpiresAt,
    parent_valid_until: record.parentValidUntil,
    revoked_at: record.revokedAt,
    revoked_reason: null,
    user_agent: session.userAgent,
    ip_address: session.ipAddress,
    idp: session.idp,
    amr: session.amr.length > 0 ? session.amr.join(",") : null,
    credential_version: record.credentialVersion,
  };
}
