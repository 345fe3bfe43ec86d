/**
 * What every peer server shares: the `me` schema, the HS256 check the project does (a KeyObject
 * built once, algorithm pinned), and one user kept in memory. The secret arrives in PEER_SECRET.
 */
import { createSecretKey, type KeyObject } from "node:crypto";
import jwt from "jsonwebtoken";

export const PEER_TYPE_DEFS = "type User { id: ID! username: String! } type Query { me: User }";

const USER = { id: "1", username: "bench" };

export function peerKey(): KeyObject {
  const secret = process.env.PEER_SECRET;
  if (!secret) throw new Error("PEER_SECRET is not set");
  return createSecretKey(Buffer.from(secret, "utf8"));
}

/** The user a `Bearer` header speaks for, or null; as the project's `me` does, minus the store read. */
export function userOf(key: KeyObject, authorization: string | null | undefined): typeof USER | null {
  if (!authorization?.startsWith("Bearer ")) return null;
  try {
    const claims = jwt.verify(authorization.slice("Bearer ".length), key, { algorithms: ["HS256"] });
    return typeof claims === "object" && claims.sub === USER.id ? USER : null;
  } catch {
    return null;
  }
}

/** The token the benchmark presents to the peers: signed with the same key, for the same user. */
export function peerToken(secret: string): string {
  return jwt.sign({ sub: USER.id }, createSecretKey(Buffer.from(secret, "utf8")), { algorithm: "HS256", expiresIn: "1h" });
}

export function peerPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("PORT is not set");
  return port;
}
