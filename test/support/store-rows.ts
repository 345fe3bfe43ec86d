import type { SessionRow, UserRow } from "../../src/store/tables.js";

/**
 * Rows written straight into a store, for tests of the store layer that need an account or a
 * session the API would not make as they are: names derive from `id`, times from `at`.
 */
export function userRow(id: string, at: number, overrides: Partial<UserRow> = {}): UserRow {
  return {
    id,
    username: id,
    username_key: id.toLowerCase(),
    email: `${id}@example.com`,
    email_key: `${id.toLowerCase()}@example.com`,
    password_hash: "not a hash",
    email_verified: 1,
    roles: "USER",
    credential_version: 0,
    created_at: at,
    updated_at: at,
    ...overrides,
  };
}

/** A live session of `userId`, made and last used at `at`, ending an hour later. */
export function sessionRow(id: string, userId: string, at: number, overrides: Partial<SessionRow> = {}): SessionRow {
  return {
    id,
    user_id: userId,
    seed: "seed",
    generation: 0,
    created_at: at,
    last_used_at: at,
    expires_at: at + 3_600_000,
    absolute_expires_at: at + 3_600_000,
    parent_valid_until: 0,
    revoked_at: null,
    revoked_reason: null,
    user_agent: null,
    ip_address: null,
    idp: null,
    amr: null,
    credential_version: 0,
    ...overrides,
  };
}
