import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";

const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Authenticated encryption (AES-256-GCM) for values the store must hold but a copy of the database
 * alone must not reveal, such as a queued mail carrying a reset link (OWASP ASVS 11.3.2, 14.2.4).
 * The key is derived with HKDF-SHA256 (RFC 5869) from a server secret and a purpose, so each use
 * gets its own key and the secret itself is never used as one. The purpose is also bound as
 * additional data, so a value sealed for one purpose does not open as another.
 *
 * Sealed form: `v1.<iv>.<ciphertext>.<tag>`, each part base64url.
 */
export class SealedBox {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly purpose: string,
  ) {
    this.key = Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), `graphql-auth-api/${purpose}`, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(this.purpose, "utf8"));
    const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv, body, cipher.getAuthTag()].map((part) => (typeof part === "string" ? part : part.toString("base64url"))).join(".");
  }

  /** The plaintext; throws when the value was altered, sealed under another key or for another purpose. */
  open(sealed: string): string {
    const [version, iv, body, tag, ...rest] = sealed.split(".");
    if (version !== VERSION || iv === undefined || body === undefined || tag === undefined || rest.length > 0) {
      throw new Error("not a sealed value");
    }
    const decipher = createDecipheriv("aes-256-gcm", this.key, Buffer.from(iv, "base64url"), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(this.purpose, "utf8"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8");
  }
}
