import { createHmac, createSign, type KeyObject } from "node:crypto";

/**
 * JWTs for tests, read and made byte by byte: decoding without verifying (to compare a token's
 * claims with what the API reports), and crafting with exact headers and signatures, so each
 * forged token is exactly the one named, with no library normalising it away.
 */

export const b64url = (value: string | Buffer): string => Buffer.from(value).toString("base64url");
export const segment = (value: unknown): string => b64url(JSON.stringify(value));

export type Signer = (signingInput: string) => Buffer;

export const hmacSigner =
  (secret: string | Buffer): Signer =>
  (input) =>
    createHmac("sha256", secret).update(input).digest();

export const rsaSigner =
  (privateKey: KeyObject): Signer =>
  (input) =>
    createSign("sha256").update(input).sign(privateKey);

/** JWS ES256 signatures are r || s, 64 bytes (RFC 7518 §3.4), not DER. */
export const ecSigner =
  (privateKey: KeyObject): Signer =>
  (input) =>
    createSign("sha256").update(input).sign({ key: privateKey, dsaEncoding: "ieee-p1363" });

/** header.payload.signature from the given parts; `sign` undefined leaves the signature empty. */
export function craftJwt(header: Record<string, unknown>, payload: Record<string, unknown>, sign?: Signer): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${sign ? b64url(sign(input)) : ""}`;
}

/** The decoded parts of a real token the server issued. */
export function partsOf(token: string): { header: Record<string, unknown>; payload: Record<string, unknown>; signature: string } {
  const [header = "", payload = "", signature = ""] = token.split(".");
  return {
    header: JSON.parse(Buffer.from(header, "base64url").toString("utf8")),
    payload: JSON.parse(Buffer.from(payload, "base64url").toString("utf8")),
    signature,
  };
}

/** The claims of a JWT, read without verifying it. */
export function claimsOf(token: string): Record<string, unknown> {
  return partsOf(token).payload;
}
