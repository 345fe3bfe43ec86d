import { randomBytes, randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import { AuthError } from "../errors.js";
import { FIELD_LIMITS } from "../store/field-limits.js";
import { type Account, NO_PASSWORD } from "./account.js";
import type { PasswordHasher } from "./password-hasher.js";
import type { Role } from "./roles.js";
import type { User } from "./user.js";
import type { UserRepository } from "./user-repository.js";
import { checkEmail, checkNewPassword, checkUsername, identityKey, normalizePassword, refuseControlCharacters } from "./user-rules.js";

export interface NewUser {
  readonly username: string;
  readonly email: string;
  readonly password: string;
  readonly roles?: readonly Role[];
  /** An operator vouching for the address (user:create); sign-ups prove it by a mailed link. */
  readonly emailVerified?: boolean;
}

/** The stored hash to verify against; a password-less account costs a dummy hash like an unknown one. */
function storedHash(account: Account | undefined): string | undefined {
  return account && account.passwordHash !== NO_PASSWORD ? account.passwordHash : undefined;
}

/** The outcome of a login check; a failure names the account only for the audit trail. */
export type Authentication = { ok: true; account: Account; rehashed: boolean } | { ok: false; userId: string | null };

/** User rules: who may exist, with which password, and how they prove it. */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly clock: Clock,
    private readonly passwordMinLength: number,
  ) {}

  async create(input: NewUser): Promise<Account> {
    const username = checkUsername(input.username);
    const email = checkEmail(input.email);
    const password = checkNewPassword(input.password, { field: "password", minLength: this.passwordMinLength, username, email });
    const usernameKey = identityKey(username);
    const emailKey = identityKey(email);
    await this.refuseTaken(usernameKey, emailKey);
    const account = this.newAccount({
      username,
      email,
      passwordHash: await this.hasher.hash(password),
      roles: [...new Set<Role>(["USER", ...(input.roles ?? [])])],
      // Proven by a mailed link later, unless an operator vouches for it (user:create).
      emailVerified: input.emailVerified === true,
    });
    try {
      await this.users.insert(account, { usernameKey, emailKey });
    } catch (error) {
      // Lost a race with another sign-up for the same name: report it as the input problem it is.
      await this.refuseTaken(usernameKey, emailKey);
      throw error;
    }
    return account;
  }

  /** The account a login identifier names (username or email, any case), if any. */
  findForLogin(identifier: string): Promise<Account | undefined> {
    return identifier.length <= FIELD_LIMITS.email ? this.users.findByLoginKey(identityKey(identifier)) : Promise.resolve(undefined);
  }

  /**
   * Checks `password` against `user`, as found by findForLogin; the caller has refused malformed
   * input already (checkLoginInput). An unknown account costs one hash like everyone else
   * (OWASP ASVS 6.3.8); an outdated hash is redone on success.
   */
  async checkPassword(account: Account | undefined, password: string): Promise<Authentication> {
    const normalized = normalizePassword(password);
    const tooLong = [...normalized].length > FIELD_LIMITS.password;
    const valid = await this.hasher.verify(tooLong ? undefined : storedHash(account), normalized);
    if (!valid || !account) return { ok: false, userId: account?.user.id ?? null };
    if (!this.hasher.needsRehash(account.passwordHash)) return { ok: true, account, rehashed: false };
    await this.users.rehashPassword(account.user.id, account.passwordHash, await this.hasher.hash(normalized), this.clock.now());
    return { ok: true, account, rehashed: true };
  }

  /** The account, once `password` is proven to be its own; else UNAUTHENTICATED INVALID_CREDENTIALS. */
  async verifyPassword(userId: string, password: string): Promise<Account> {
    refuseControlCharacters("currentPassword", password);
    const account = await this.users.findAccountById(userId);
    if (!account || !(await this.hasher.verify(storedHash(account), normalizePassword(password)))) {
      throw AuthError.unauthenticated("INVALID_CREDENTIALS");
    }
    return account;
  }

  /** The argon2 hash of a new password for the user, once it passes the rules (errors name `newPassword`). */
  async hashNewPassword(user: User, newPassword: string): Promise<string> {
    const password = checkNewPassword(newPassword, {
      field: "newPassword",
      minLength: this.passwordMinLength,
      username: user.username,
      email: user.email,
    });
    return this.hasher.hash(password);
  }

  findById(id: string): Promise<User | undefined> {
    return this.users.findById(id);
  }

  findAccount(id: string): Promise<Account | undefined> {
    return this.users.findAccountById(id);
  }

  /** The account whose email matches ignoring case, if any. */
  findByEmail(email: string): Promise<Account | undefined> {
    return this.users.findByLoginKey(identityKey(email));
  }

  /**
   * A new account without a password, for someone signing in through an OpenID provider. The
   * username comes from `usernameHint`, cleaned to the username rules and made unique; undefined
   * when the email is taken (by a sign-up racing this one). The address counts as verified when
   * the provider vouched for it.
   */
  async createWithoutPassword(usernameHint: string, email: string, emailVerified = false): Promise<Account | undefined> {
    const address = checkEmail(email);
    const emailKey = identityKey(address);
    const base = usernameBase(usernameHint);
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const username = attempt === 0 ? base : `${base.slice(0, 23)}-${randomBytes(4).toString("hex")}`;
      const usernameKey = identityKey(username);
      const taken = await this.users.takenKeys(usernameKey, emailKey);
      if (taken.email) return undefined;
      if (taken.username) continue;
      const account = this.newAccount({ username, email: address, passwordHash: NO_PASSWORD, roles: ["USER"], emailVerified });
      try {
        await this.users.insert(account, { usernameKey, emailKey });
        return account;
      } catch (error) {
        // A concurrent insert took the name or the address: look again.
        const now = await this.users.takenKeys(usernameKey, emailKey);
        if (!now.username && !now.email) throw error;
      }
    }
    throw new Error("could not find a free username");
  }

  list(limit: number, offset: number): Promise<User[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw AuthError.badInput("limit", "limit must be from 1 to 100");
    if (!Number.isInteger(offset) || offset < 0) throw AuthError.badInput("offset", "offset must be 0 or more");
    return this.users.list(limit, offset);
  }

  /** A new account, not yet stored, at the first credential version. */
  private newAccount(fields: Pick<User, "username" | "email" | "roles" | "emailVerified"> & Pick<Account, "passwordHash">): Account {
    const { passwordHash, ...user } = fields;
    const now = this.clock.now();
    return { user: { id: randomUUID(), ...user, createdAt: now, updatedAt: now }, passwordHash, credentialVersion: 0 };
  }

  private async refuseTaken(usernameKey: string, emailKey: string): Promise<void> {
    const taken = await this.users.takenKeys(usernameKey, emailKey);
    if (taken.username) throw AuthError.badInput("username", "username is already taken");
    if (taken.email) throw AuthError.badInput("email", "email is already registered");
  }
}

/** A valid username from a provider's preferred_username or an email's local part. */
function usernameBase(hint: string): string {
  const cleaned = hint
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9_.-]/g, "")
    .slice(0, 32);
  return cleaned.length >= 3 ? cleaned : `user_${cleaned}`;
}
