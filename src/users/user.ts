import type { Role } from "./roles.js";

/**
 * An account as the app outside users/ and auth/ sees it, GraphQL included: what the schema's
 * `User` shows and what access tokens claim. No password hash, credential version or lookup key,
 * so none can reach a response or a log through it. Times are epoch milliseconds.
 */
export interface User {
  readonly id: string;
  readonly username: string;
  readonly email: string;
  /** True once a mailed link proved the address (or an operator made the account). */
  readonly emailVerified: boolean;
  readonly roles: readonly Role[];
  readonly createdAt: number;
  readonly updatedAt: number;
}
