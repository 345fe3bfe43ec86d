import type { Kysely } from "kysely";
import type { Database, MfaChallengeRow, MfaFactorRow } from "../store/tables.js";

/** Queries over the MFA tables; the rules live in MfaService and the login step. */
export class MfaRepository {
  constructor(private readonly db: Kysely<Database>) {}

  findFactor(userId: string): Promise<MfaFactorRow | undefined> {
    return this.db.selectFrom("mfa_factors").selectAll().where("user_id", "=", userId).executeTakeFirst();
  }

  /** Records a pending secret, replacing an earlier pending one; never touches a confirmed factor. */
  async savePending(userId: string, sealed: { sealed: string; keyId: string }, now: number): Promise<boolean> {
    const result = await this.db
      .insertInto("mfa_factors")
      .values({ user_id: userId, secret_sealed: sealed.sealed, key_id: sealed.keyId, confirmed_at: null, last_step: null, created_at: now })
      .onConflict((oc) =>
        oc
          .column("user_id")
          .doUpdateSet({ secret_sealed: sealed.sealed, key_id: sealed.keyId, created_at: now, last_step: null })
          .where("mfa_factors.confirmed_at", "is", null),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
  }

  /**
   * Turns the pending secret that was checked (`sealedChecked`) into the account's factor and
   * stores its recovery codes, in one transaction; false when another enrolment replaced or
   * confirmed it meanwhile.
   */
  confirm(userId: string, sealedChecked: string, step: number, codeHashes: readonly string[], now: number): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable("mfa_factors")
        .set({ confirmed_at: now, last_step: step })
        .where("user_id", "=", userId)
        .where("secret_sealed", "=", sealedChecked)
        .where("confirmed_at", "is", null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) !== 1) return false;
      await trx.deleteFrom("mfa_recovery_codes").where("user_id", "=", userId).execute();
      await trx
        .insertInto("mfa_recovery_codes")
        .values(codeHashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now })))
        .execute();
      return true;
    });
  }

  /**
   * Accepts time step `step` for the account only if it is later than every step accepted before:
   * one conditional UPDATE, so two instances racing with one code cannot both accept it.
   */
  async acceptStep(userId: string, step: number): Promise<boolean> {
    const result = await this.db
      .updateTable("mfa_factors")
      .set({ last_step: step })
      .where("user_id", "=", userId)
      .where("confirmed_at", "is not", null)
      .where((eb) => eb.or([eb("last_step", "is", null), eb("last_step", "<", step)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async reseal(userId: string, from: string, to: { sealed: string; keyId: string }): Promise<void> {
    await this.db
      .updateTable("mfa_factors")
      .set({ secret_sealed: to.sealed, key_id: to.keyId })
      .where("user_id", "=", userId)
      .where("secret_sealed", "=", from)
      .execute();
  }

  /** Uses a recovery code up; true when this call did (a code works once, across instances). */
  async useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom("mfa_recovery_codes")
      .where("code_hash", "=", codeHash)
      .where("user_id", "=", userId)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  replaceRecoveryCodes(userId: string, codeHashes: readonly string[], now: number): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("mfa_recovery_codes").where("user_id", "=", userId).execute();
      await trx
        .insertInto("mfa_recovery_codes")
        .values(codeHashes.map((code_hash) => ({ code_hash, user_id: userId, created_at: now })))
        .execute();
    });
  }

  /** Removes the factor, its recovery codes and pending login steps; true when MFA was on. */
  removeFactor(userId: string): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .deleteFrom("mfa_factors")
        .where("user_id", "=", userId)
        .where("confirmed_at", "is not", null)
        .executeTakeFirst();
      await trx.deleteFrom("mfa_recovery_codes").where("user_id", "=", userId).execute();
      await trx.deleteFrom("mfa_challenges").where("user_id", "=", userId).execute();
      return Number(result.numDeletedRows) === 1;
    });
  }

  async insertChallenge(row: MfaChallengeRow): Promise<void> {
    await this.db.insertInto("mfa_challenges").values(row).execute();
  }

  /** A live challenge: not expired and with wrong codes to spare. */
  findChallenge(tokenHash: string, now: number, maxFailures: number): Promise<MfaChallengeRow | undefined> {
    return this.db
      .selectFrom("mfa_challenges")
      .selectAll()
      .where("token_hash", "=", tokenHash)
      .where("expires_at", ">", now)
      .where("failures", "<", maxFailures)
      .executeTakeFirst();
  }

  async countFailure(tokenHash: string): Promise<void> {
    await this.db
      .updateTable("mfa_challenges")
      .set((eb) => ({ failures: eb("failures", "+", 1) }))
      .where("token_hash", "=", tokenHash)
      .execute();
  }

  /** Uses a challenge up; true when this call did, so one mfaToken completes one login. */
  async consumeChallenge(tokenHash: string, now: number, maxFailures: number): Promise<boolean> {
    const result = await this.db
      .deleteFrom("mfa_challenges")
      .where("token_hash", "=", tokenHash)
      .where("expires_at", ">", now)
      .where("failures", "<", maxFailures)
      .executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /** Through `db` when given (the caller's transaction). */
  async deleteChallengesOf(userId: string, db: Kysely<Database> = this.db): Promise<void> {
    await db.deleteFrom("mfa_challenges").where("user_id", "=", userId).execute();
  }

  /** Forgets challenges past their expiry (they are refused anyway); keeps the table small. */
  async deleteExpiredChallenges(now: number): Promise<void> {
    await this.db.deleteFrom("mfa_challenges").where("expires_at", "<=", now).execute();
  }
}
