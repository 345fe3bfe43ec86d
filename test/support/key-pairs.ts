import { generateKeyPairSync, type KeyObject, type KeyPairKeyObjectResult } from "node:crypto";

/** The asymmetric JWT_ALGORITHM values the server accepts. */
export type AsymmetricAlgorithm = "ES256" | "RS256";

export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = ["ES256", "RS256"];

/** A fresh key pair of the smallest kind the server accepts for the algorithm: P-256, or RSA 2048 (RFC 7518 §3.3, §3.4). */
export function newKeyPair(algorithm: AsymmetricAlgorithm): KeyPairKeyObjectResult {
  return algorithm === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }) : generateKeyPairSync("rsa", { modulusLength: 2048 });
}

/** A private key as JWT_PRIVATE_KEY takes it. */
export const privatePem = (key: KeyObject): string => key.export({ type: "pkcs8", format: "pem" }).toString();

/** A public key as JWT_PREVIOUS_PUBLIC_KEYS takes it. */
export const publicPem = (key: KeyObject): string => key.export({ type: "spki", format: "pem" }).toString();
