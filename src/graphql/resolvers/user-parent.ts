import type { Viewer } from "../../auth/access-tokens.js";
import { AuthError } from "../../errors.js";
import type { User } from "../../users/user.js";

/**
 * What the schema's `User` fields resolve from: a whole user, or the signed-in user as their
 * verified access token names them. The token fixes `id` and `username`, which never change, so
 * `me { id username }` needs no store read (issue 8: the read was ~10% of a `me`); any other field
 * reads the user once for the request. Revocation is checked before any resolver runs, as for
 * every @auth operation (context.ts).
 */
export type UserParent = User | SignedInUser;

export interface SignedInUser {
  readonly id: string;
  readonly username: string;
  /** The stored user, read on first use and shared by the request's fields. */
  stored(): Promise<User>;
}

/** `read` finding no user means the account is gone: SESSION_REVOKED, as for its ended sessions. */
export function signedInUser(viewer: Viewer, read: (id: string) => Promise<User | undefined>): SignedInUser {
  let user: Promise<User> | undefined;
  return {
    id: viewer.userId,
    username: viewer.username,
    stored() {
      user ??= read(viewer.userId).then((found) => {
        if (!found) throw AuthError.unauthenticated("SESSION_REVOKED");
        return found;
      });
      return user;
    },
  };
}

/** The whole user behind a `User` parent, read from the store if the parent is only the token's. */
export function storedUser(parent: UserParent): User | Promise<User> {
  return "stored" in parent ? parent.stored() : parent;
}
