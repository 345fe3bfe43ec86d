import { type Kysely, type Migration, type MigrationProvider, type MigrationResultSet, Migrator, sql } from "kysely";
import type { Dialect } from "./database.js";
import { FIELD_LIMITS as W } from "./field-limits.js";

/**
 * Migrations live in code (not files found at run time), so the built and the tsx-run server apply
 * the same list. Append new ones; never edit one that has shipped.
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001_users_sessions": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("users")
          .addColumn("id", `varchar(${W.id})`, (c) => c.primaryKey())
          .addColumn("username", `varchar(${W.username})`, (c) => c.notNull())
          .addColumn("username_key", `varchar(${W.username})`, (c) => c.notNull().unique())
          .addColumn("email", `varchar(${W.email})`, (c) => c.notNull())
          .addColumn("email_key", `varchar(${W.email})`, (c) => c.notNull().unique())
          .addColumn("password_hash", "text", (c) => c.notNull())
          .addColumn("roles", `varchar(${W.roles})`, (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("updated_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("users_created_at_idx").on("users").columns(["created_at", "id"]).execute();

        await db.schema
          .createTable("sessions")
          .addColumn("id", `varchar(${W.id})`, (c) => c.primaryKey())
          .addColumn("user_id", `varchar(${W.id})`, (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("seed", `varchar(${W.seed})`, (c) => c.notNull())
          .addColumn("generation", "integer", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("last_used_at", "bigint", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .addColumn("absolute_expires_at", "bigint", (c) => c.notNull())
          .addColumn("parent_valid_until", "bigint", (c) => c.notNull())
          .addColumn("revoked_at", "bigint")
          .addColumn("revoked_reason", `varchar(${W.label})`)
          .addColumn("user_agent", `varchar(${W.userAgent})`)
          .addColumn("ip_address", `varchar(${W.ipAddress})`)
          .execute();
        await db.schema.createIndex("sessions_user_idx").on("sessions").columns(["user_id", "created_at"]).execute();
        await db.schema.createIndex("sessions_revoked_idx").on("sessions").column("revoked_at").execute();
      },
    },
    "0002_auth_events": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("auth_events")
          .addColumn("id", dialect === "postgres" ? "bigserial" : "integer", (c) => c.primaryKey())
          .addColumn("type", `varchar(${W.label})`, (c) => c.notNull())
          .addColumn("user_id", `varchar(${W.id})`)
          .addColumn("session_id", `varchar(${W.id})`)
          .addColumn("ip_address", `varchar(${W.ipAddress})`)
          .addColumn("user_agent", `varchar(${W.userAgent})`)
          .addColumn("detail", `varchar(${W.auditDetail})`)
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("auth_events_user_idx").on("auth_events").columns(["user_id", "created_at"]).execute();
      },
    },
    "0003_oidc_identities": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("identities")
          .addColumn("provider", `varchar(${W.providerId})`, (c) => c.notNull())
          .addColumn("subject", `varchar(${W.subject})`, (c) => c.notNull())
          .addColumn("user_id", `varchar(${W.id})`, (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("email", `varchar(${W.email})`)
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addPrimaryKeyConstraint("identities_pk", ["provider", "subject"])
          // One identity per provider and account: unlinkIdentity(provider) names exactly one.
          .addUniqueConstraint("identities_user_provider_uq", ["user_id", "provider"])
          .execute();

        await db.schema
          .createTable("oidc_logins")
          .addColumn("id", `varchar(${W.seed})`, (c) => c.primaryKey())
          .addColumn("provider", `varchar(${W.providerId})`, (c) => c.notNull())
          .addColumn("state", `varchar(${W.oidcCheck})`, (c) => c.notNull())
          .addColumn("nonce", `varchar(${W.oidcCheck})`, (c) => c.notNull())
          .addColumn("code_verifier", `varchar(${W.oidcCheck})`, (c) => c.notNull())
          .addColumn("redirect_uri", `varchar(${W.redirectUri})`, (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("oidc_logins_expires_idx").on("oidc_logins").column("expires_at").execute();

        // How a session was signed in, so a refreshed access token keeps its idp and amr claims.
        await db.schema.alterTable("sessions").addColumn("idp", `varchar(${W.providerId})`).execute();
        await db.schema.alterTable("sessions").addColumn("amr", `varchar(${W.amr})`).execute();
      },
    },
    // The second factor (issue 7): TOTP secrets sealed at rest, recovery codes and mfaTokens
    // as hashes.
    "0004_mfa": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("mfa_factors")
          .addColumn("user_id", `varchar(${W.id})`, (c) => c.primaryKey().references("users.id").onDelete("cascade"))
          .addColumn("secret_sealed", "text", (c) => c.notNull())
          .addColumn("key_id", `varchar(${W.keyId})`, (c) => c.notNull())
          .addColumn("confirmed_at", "bigint")
          .addColumn("last_step", "bigint")
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema
          .createTable("mfa_recovery_codes")
          .addColumn("code_hash", `varchar(${W.digest})`, (c) => c.primaryKey())
          .addColumn("user_id", `varchar(${W.id})`, (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mfa_recovery_codes_user_idx").on("mfa_recovery_codes").column("user_id").execute();
        await db.schema
          .createTable("mfa_challenges")
          .addColumn("token_hash", `varchar(${W.digest})`, (c) => c.primaryKey())
          .addColumn("user_id", `varchar(${W.id})`, (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("login_key", `varchar(${W.email})`, (c) => c.notNull())
          .addColumn("failures", "integer", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mfa_challenges_expires_idx").on("mfa_challenges").column("expires_at").execute();
      },
    },
    "0005_mail_outbox": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("mail_outbox")
          .addColumn("id", `varchar(${W.id})`, (c) => c.primaryKey())
          .addColumn("user_id", `varchar(${W.id})`)
          .addColumn("purpose", `varchar(${W.label})`, (c) => c.notNull())
          .addColumn("sealed", "text", (c) => c.notNull())
          .addColumn("status", `varchar(${W.label})`, (c) => c.notNull())
          .addColumn("attempts", "integer", (c) => c.notNull())
          .addColumn("next_attempt_at", "bigint", (c) => c.notNull())
          .addColumn("lease_until", "bigint", (c) => c.notNull())
          .addColumn("last_error", `varchar(${W.mailError})`)
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .execute();
        await db.schema.createIndex("mail_outbox_due_idx").on("mail_outbox").columns(["status", "next_attempt_at"]).execute();
        await db.schema.createIndex("mail_outbox_user_idx").on("mail_outbox").column("user_id").execute();
      },
    },
    "0006_account_links": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("account_links")
          .addColumn("id", `varchar(${W.id})`, (c) => c.primaryKey())
          .addColumn("user_id", `varchar(${W.id})`, (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("purpose", `varchar(${W.label})`, (c) => c.notNull())
          .addColumn("token_hash", `varchar(${W.linkTokenHash})`, (c) => c.notNull().unique())
          .addColumn("new_email", `varchar(${W.email})`)
          .addColumn("created_at", "bigint", (c) => c.notNull())
          .addColumn("expires_at", "bigint", (c) => c.notNull())
          .addColumn("used_at", "bigint")
          .execute();
        await db.schema.createIndex("account_links_user_idx").on("account_links").columns(["user_id", "purpose"]).execute();
      },
    },
    "0007_email_verification": {
      async up(db: Kysely<unknown>) {
        // Accounts made before this migration have never proved their address: they start unverified.
        await db.schema
          .alterTable("users")
          .addColumn("email_verified", "integer", (c) => c.notNull().defaultTo(0))
          .execute();
        await db.schema.alterTable("account_links").addColumn("session_id", `varchar(${W.id})`).execute();
      },
    },
    "0008_credential_version": {
      async up(db: Kysely<unknown>) {
        // A password change moves the account's version on; a session or a pending login step made
        // under an older version can neither be stored nor refreshed (ASVS 7.4.3, CWE-367).
        for (const table of ["users", "sessions", "mfa_challenges"]) {
          await db.schema
            .alterTable(table)
            .addColumn("credential_version", "integer", (c) => c.notNull().defaultTo(0))
            .execute();
        }
      },
    },
    // The retention sweep (src/store/retention.ts) finds what it deletes by these times; without
    // an index each of its bounded batches would scan the whole table.
    "0009_retention_indexes": {
      async up(db: Kysely<unknown>) {
        await db.schema.createIndex("sessions_expires_idx").on("sessions").column("expires_at").execute();
        await db.schema.createIndex("auth_events_created_idx").on("auth_events").column("created_at").execute();
        await db.schema.createIndex("account_links_expires_idx").on("account_links").column("expires_at").execute();
        await db.schema.createIndex("account_links_used_idx").on("account_links").column("used_at").execute();
      },
    },
    // The per-account session cap (session-repository.ts) reads an account's live sessions, most
    // recently used first, at every login. Without this index it sorted every row the account
    // ever had, ended ones included until the retention sweep removes them a week later: 0.6 ms
    // per login for an account with 5,000 ended sessions, 3 µs with it (issue 8).
    "0010_live_sessions_index": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createIndex("sessions_live_idx")
          .on("sessions")
          .columns(["user_id", "last_used_at", "created_at"])
          .where(sql.ref("revoked_at"), "is", null)
          .execute();
      },
    },
  };
}

/** Applies every pending migration; throws with the failing migration's error. */
export function migrateToLatest(db: Kysely<any>, dialect: Dialect): Promise<string[]> {
  return migrate(db, dialect, (migrator) => migrator.migrateToLatest());
}

/** Migrates up or down to `target` (tests build a store as an older release left it). */
export function migrateTo(db: Kysely<any>, dialect: Dialect, target: string): Promise<string[]> {
  return migrate(db, dialect, (migrator) => migrator.migrateTo(target));
}

/** Runs the migrator and names the migrations it applied. */
async function migrate(db: Kysely<any>, dialect: Dialect, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  // Kysely looks for its own tables in every schema the role can see; pin them to the schema this
  // connection works in, so another schema's migration tables in the same database are not mistaken
  // for ours.
  const migrationTableSchema =
    dialect === "postgres" ? (await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema : undefined;
  const migrator = new Migrator({ db, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  for (let attempt = 1; ; attempt += 1) {
    const { error, results } = await run(migrator);
    if (!error) return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
    if (attempt >= MIGRATION_ATTEMPTS || !isVanishedCatalogEntry(error)) throw error;
  }
}

const MIGRATION_ATTEMPTS = 10;

/**
 * Kysely's check for its own tables reads the catalog of every schema in the database, calling
 * has_schema_privilege and pg_get_serial_sequence on each row; a schema, table or column that
 * someone else drops meanwhile (another deployment sharing the database, a parallel test run)
 * fails that scan before anything of ours was touched: 3F000, 42P01 or 42703. It says nothing
 * about our schema, so the migration is tried again; an error of our own repeats and is thrown.
 */
const VANISHED_CATALOG_ENTRY = new Set(["3F000", "42P01", "42703"]);

function isVanishedCatalogEntry(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && VANISHED_CATALOG_ENTRY.has(code);
}
