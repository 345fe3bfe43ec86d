import { createHash, createPrivateKey, createPublicKey, createSecretKey, type JsonWebKey, type KeyObject } from "node:crypto";
import { type Config, ConfigError, type JwtAlgorithm } from "../config.js";

export interface VerificationKey {
  readonly kid: string;
  readonly algorithm: JwtAlgorithm;
  readonly key: KeyObject;
}

export interface PublicJwk extends JsonWebKey {
  kid: string;
  alg: JwtAlgorithm;
  use: "sig";
}

/**
 * The keys that sign and verify access tokens, built once as KeyObjects (jsonwebtoken re-parses a
 * string key on every call). Verification looks keys up by `kid` in this fixed set only, so a
 * token's `kid`, `jku`, `x5u` or `jwk` header can never point us at a key of its choosing (RFC 8725 §3.10).
 */
export interface SigningKeys {
  readonly current: VerificationKey & { readonly signingKey: KeyObject };
  byKid(kid: string): VerificationKey | undefined;
  /** Public keys for `/.well-known/jwks.json`; empty for HS256, whose secret is never published. */
  readonly jwks: { readonly keys: readonly PublicJwk[] };
}

/** RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order. */
function jwkThumbprint(jwk: JsonWebKey): string {
  const members: Record<string, readonly string[]> = { EC: ["crv", "kty", "x", "y"], RSA: ["e", "kty", "n"], oct: ["k", "kty"] };
  const required = members[jwk.kty ?? ""];
  if (!required) throw new Error(`unsupported key type ${jwk.kty}`);
  const canonical = JSON.stringify(Object.fromEntries(required.map((name) => [name, jwk[name as keyof JsonWebKey]])));
  return createHash("sha256").update(canonical).digest("base64url");
}

function secretKey(secret: string): VerificationKey {
  const bytes = Buffer.from(secret, "utf8");
  const kid = jwkThumbprint({ kty: "oct", k: bytes.toString("base64url") });
  return { kid, algorithm: "HS256", key: createSecretKey(bytes) };
}

function algorithmOf(key: KeyObject): JwtAlgorithm | undefined {
  if (key.asymmetricKeyType === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  // RSA keys under 2048 bits are refused (RFC 7518 §3.3, NIST SP 800-131A).
  if (key.asymmetricKeyType === "rsa" && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return "RS256";
  return undefined;
}

function publicKeyEntry(publicKey: KeyObject, algorithm: JwtAlgorithm): VerificationKey & { jwk: PublicJwk } {
  const exported = publicKey.export({ format: "jwk" });
  const kid = jwkThumbprint(exported);
  return { kid, algorithm, key: publicKey, jwk: { ...exported, kid, alg: algorithm, use: "sig" } };
}

export function createSigningKeys(jwt: Config["jwt"]): SigningKeys {
  const problems: string[] = [];
  const verification = new Map<string, VerificationKey>();
  const jwks: PublicJwk[] = [];
  let current: SigningKeys["current"] | undefined;

  if (jwt.algorithm === "HS256") {
    const entry = secretKey(jwt.secret ?? "");
    current = { ...entry, signingKey: entry.key };
    for (const previous of jwt.previousSecrets) {
      const old = secretKey(previous);
      if (!verification.has(old.kid)) verification.set(old.kid, old);
    }
  } else {
    try {
      const privateKey = createPrivateKey(jwt.privateKeyPem ?? "");
      if (algorithmOf(privateKey) !== jwt.algorithm) {
        problems.push(
          `JWT_PRIVATE_KEY: not a ${jwt.algorithm === "ES256" ? "P-256 EC" : "2048-bit or larger RSA"} key, as JWT_ALGORITHM=${jwt.algorithm} needs`,
        );
      } else {
        const entry = publicKeyEntry(createPublicKey(privateKey), jwt.algorithm);
        current = { kid: entry.kid, algorithm: entry.algorithm, key: entry.key, signingKey: privateKey };
        jwks.push(entry.jwk);
      }
    } catch {
      problems.push("JWT_PRIVATE_KEY: not a readable PEM private key");
    }
  }
  jwt.previousPublicKeysPem.forEach((pem, index) => {
    try {
      const publicKey = createPublicKey(pem);
      const algorithm = algorithmOf(publicKey);
      if (!algorithm) throw new Error("unsupported");
      const entry = publicKeyEntry(publicKey, algorithm);
      if (entry.kid !== current?.kid && !verification.has(entry.kid)) {
        verification.set(entry.kid, entry);
        jwks.push(entry.jwk);
      }
    } catch {
      problems.push(`JWT_PREVIOUS_PUBLIC_KEYS: key ${index + 1} is not a P-256 EC or 2048-bit RSA public key in PEM form`);
    }
  });
  if (problems.length > 0 || !current) throw new ConfigError(problems);
  verification.set(current.kid, current);
  const signing = current;
  return {
    current: signing,
    byKid: (kid) => verification.get(kid),
    jwks: Object.freeze({ keys: Object.freeze(jwks) }),
  };
}
