import { hkdfSync } from "node:crypto";
import { SealedBox } from "../auth/sealed-box.js";

/** A value sealed under one key of the ring, with the id of that key to store beside it. */
export interface SealedSecret {
  readonly sealed: string;
  readonly keyId: string;
}

const PURPOSE = "mfa-secret";

/**
 * The MFA encryption keys: the first seals, every one opens (OWASP ASVS 11.2.2, key rotation).
 * Each sealed value is stored with its key's id, so a rotated MFA_ENCRYPTION_KEY never locks
 * anyone out while the retired key is still listed; a value opened with a retired key is sealed
 * again under the current one (see `needsResealing`), after which the old key can be dropped.
 */
export class SecretKeyRing {
  private readonly boxes: ReadonlyMap<string, SealedBox>;
  readonly currentKeyId: string;

  /** `secrets[0]` is the current key; the rest are retired keys still accepted. */
  constructor(secrets: readonly string[]) {
    if (secrets.length === 0) throw new Error("SecretKeyRing needs at least one key");
    const boxes = new Map<string, SealedBox>();
    for (const secret of secrets) boxes.set(keyIdOf(secret), new SealedBox(secret, PURPOSE));
    this.boxes = boxes;
    this.currentKeyId = keyIdOf(secrets[0] as string);
  }

  seal(plaintext: string): SealedSecret {
    return { sealed: (this.boxes.get(this.currentKeyId) as SealedBox).seal(plaintext), keyId: this.currentKeyId };
  }

  /** The plaintext; throws when the key is no longer configured or the value was altered. */
  open(secret: SealedSecret): string {
    const box = this.boxes.get(secret.keyId);
    if (!box) throw new Error(`MFA secret sealed under key ${secret.keyId}, which is not configured (MFA_PREVIOUS_ENCRYPTION_KEYS)`);
    return box.open(secret.sealed);
  }

  needsResealing(secret: SealedSecret): boolean {
    return secret.keyId !== this.currentKeyId;
  }
}

/**
 * A short public name for a key, derived with HKDF under its own label, so it tells keys apart
 * without revealing anything about the key the secrets are sealed with.
 */
function keyIdOf(secret: string): string {
  return Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), "graphql-auth-api/mfa-key-id", 9)).toString(
    "base64url",
  );
}
