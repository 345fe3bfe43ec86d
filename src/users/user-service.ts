import { randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { AuthError } from "../errors.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import type { UserRow } from "../store/tables.js";
import type { PasswordHasher } from "./password-hasher.js";
import { isRole, type Role } from "./roles.js";
import type { UserRepository } from "./user-repository.js";
import { checkEmail, checkNewPassword, checkUsername, identityKey, normalizePassword, refuseControlCharacters } from "./user-rules.js";

export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly roles?: readonly Role[];
}

export function rolesOf(user: UserRow): Role[] {
  return user.roles.split(",").filter(isRole);
}

/** The outcome of a login check; a failure names the account only for the audit trail. */
export type Authentication = { ok: true; user: UserRow; rehashed: boolean } | { ok: false; userId: string | null };

/** User rules: who may exist, with which password, and how they prove it. */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly passwordMinLength: number,
  ) {}

  async create(input: NewUser): Promise<UserRow> {
    const username = checkUsername(input.username);
    const email = checkEmail(input.email);
    const password = checkNewPassword(input.password, { field: "password", minLength: this.passwordMinLength, username, email });
    const usernameKey = identityKey(username);
    const emailKey = identityKey(email);
    await this.refuseTaken(usernameKey, emailKey);
    const now = this.clock.now();
    const roles = [...new Set<Role>(["USER", ...(input.roles ?? [])])];
    const row: UserRow = {
      id: randomUUID(),
      username,
      username_key: usernameKey,
      email,
      email_key: emailKey,
      password_hash: await this.hasher.hash(password),
      roles: roles.join(","),
      created_at: now,
      updated_at: now,
    };
    try {
      await this.users.insert(row);
    } catch (error) {
      // Lost a race with another sign-up for the same name: report it as the input problem it is.
      await this.refuseTaken(usernameKey, emailKey);
      throw error;
    }
    return row;
  }

  /**
   * The user whose username or email and password match, else undefined; the caller has refused
   * malformed input already (checkLoginInput). Unknown users cost one hash like everyone else
   * (OWASP ASVS 6.3.8); an outdated hash is redone on success.
   */
  async authenticate(identifier: string, password: string): Promise<Authentication> {
    const normalized = normalizePassword(password);
    const user = identifier.length <= FIELD_LIMITS.email ? await this.users.findByLoginKey(identityKey(identifier)) : undefined;
    const tooLong = [...normalized].length > FIELD_LIMITS.password;
    const valid = await this.hasher.verify(tooLong ? undefined : user?.password_hash, normalized);
    if (!valid || !user) return { ok: false, userId: user?.id ?? null };
    if (!this.hasher.needsRehash(user.password_hash)) return { ok: true, user, rehashed: false };
    await this.users.updatePasswordHash(user.id, await this.hasher.hash(normalized), this.clock.now());
    return { ok: true, user, rehashed: true };
  }

  /** The user, once `password` is proven to be theirs; else UNAUTHENTICATED INVALID_CREDENTIALS. */
  async verifyPassword(userId: string, password: string): Promise<UserRow> {
    refuseControlCharacters("currentPassword", password);
    const user = await this.users.findById(userId);
    if (!user || !(await this.hasher.verify(user.password_hash, normalizePassword(password)))) {
      throw AuthError.unauthenticated("INVALID_CREDENTIALS");
    }
    return user;
  }

  /** Replaces the user's password, under the same rules as at sign-up. */
  async setPassword(user: UserRow, newPassword: string): Promise<UserRow> {
    const password = checkNewPassword(newPassword, {
      field: "newPassword",
      minLength: this.passwordMinLength,
      username: user.username,
      email: user.email,
    });
    const now = this.clock.now();
    const passwordHash = await this.hasher.hash(password);
    await this.users.updatePasswordHash(user.id, passwordHash, now);
    return { ...user, password_hash: passwordHash, updated_at: now };
  }

  findById(id: string): Promise<UserRow | undefined> {
    return this.users.findById(id);
  }

  list(limit: number, offset: number): Promise<UserRow[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw AuthError.badInput("limit", "limit must be from 1 to 100");
    if (!Number.isInteger(offset) || offset < 0) throw AuthError.badInput("offset", "offset must be 0 or more");
    return this.users.list(limit, offset);
  }

  private async refuseTaken(usernameKey: string, emailKey: string): Promise<void> {
    const taken = await this.users.takenKeys(usernameKey, emailKey);
    if (taken.username) throw AuthError.badInput("username", "username is already taken");
    if (taken.email) throw AuthError.badInput("email", "email is already registered");
  }
}
