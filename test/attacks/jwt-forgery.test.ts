import { type KeyObject, randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { meWith } from "../support/access-token-checks.js";
import { errorOf, ME, USERS } from "../support/graphql-client.js";
import { b64url, craftJwt, ecSigner, hmacSigner, partsOf, rsaSigner, segment } from "../support/jwt.js";
import { newKeyPair, privatePem } from "../support/key-pairs.js";
import { SQLITE, STORES } from "../support/stores.js";
import { TEST_ACCESS_SECRET } from "../support/test-config.js";
import type { TestServer } from "../support/test-server.js";
import { claimsFor, expectRefused, expectRefusedOverHttp, expectSessionIntact, targetPerSuite, type Victim } from "./attack-kit.js";

/**
 * Forged, altered and out-of-date access tokens, crafted byte by byte, against a running server.
 * Every one must be refused with UNAUTHENTICATED, never a 5xx or a leaked message, and must leave
 * the victim's session working. Each suite first proves that a correctly crafted token *is*
 * accepted, so every refusal below is the server's doing and not a crafting mistake.
 */

const rsa = newKeyPair("RS256");
const ec = newKeyPair("ES256");
const attackerEc = newKeyPair("ES256");

async function expectInvalid(server: TestServer, token: string, reason = "TOKEN_INVALID") {
  const response = await meWith(server, token);
  expect(expectRefused(response), token.slice(0, 80)).toEqual({ code: "UNAUTHENTICATED", reason });
}

/** The kid the server puts on the victim's tokens. */
const kidOf = (victim: Victim) => String(partsOf(victim.client.accessToken as string).header.kid);

/** A target whose server signs its access tokens with this key. */
const signingTarget = (alg: string, privateKey: KeyObject) =>
  targetPerSuite(SQLITE, { env: { JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: privatePem(privateKey) } });

describe.each(STORES)("forged HS256 access tokens on $name", (kind) => {
  const target = targetPerSuite(kind);
  const header = { alg: "HS256", typ: "at+jwt" };
  const sign = hmacSigner(TEST_ACCESS_SECRET);

  it("accepts a correctly crafted token (control for every refusal below)", async () => {
    const response = await meWith(target.server, craftJwt(header, claimsFor(target.victim), sign));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.me.id).toBe(target.victim.sub);
  });

  it("refuses alg none, with and without the trailing dot, in any case (ASVS 9.1.2, RFC 8725 §3.1)", async () => {
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const unsigned = craftJwt({ alg, typ: "at+jwt" }, claimsFor(target.victim));
      await expectInvalid(target.server, unsigned);
      await expectInvalid(target.server, unsigned.slice(0, -1));
      // alg none carrying the real HMAC: still not a token we accept.
      await expectInvalid(target.server, `${unsigned}${b64url(sign(unsigned.slice(0, -1)))}`);
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses a token signed with another HMAC secret (ASVS 9.1.1, RFC 8725 §3.5)", async () => {
    for (const secret of ["", "secret", `${TEST_ACCESS_SECRET} `, randomBytes(32).toString("base64url")]) {
      await expectInvalid(target.server, craftJwt(header, claimsFor(target.victim), hmacSigner(secret)));
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses tampered claims under the original signature: roles raised to ADMIN, another subject (ASVS 9.1.1)", async () => {
    const real = target.victim.client.accessToken as string;
    const { header: realHeader, payload, signature } = partsOf(real);
    for (const change of [{ roles: ["USER", "ADMIN"] }, { roles: ["ADMIN"] }, { sub: "00000000-0000-4000-8000-000000000000" }]) {
      const tampered = `${segment(realHeader)}.${segment({ ...payload, ...change })}.${signature}`;
      const users = await target.server.client().request(USERS, {}, { headers: { authorization: `Bearer ${tampered}` } });
      expect(expectRefused(users)).toEqual({ code: "UNAUTHENTICATED", reason: "TOKEN_INVALID" });
    }
    // The same header with a different alg under the original signature.
    const [, body = "", sig = ""] = real.split(".");
    await expectInvalid(target.server, `${segment({ ...realHeader, alg: "HS512" })}.${body}.${sig}`);
    await expectSessionIntact(target.victim);
  });

  it("refuses a stripped signature, an empty one and a truncated one (ASVS 9.1.1, RFC 8725 §3.3)", async () => {
    const real = target.victim.client.accessToken as string;
    const [h = "", p = "", s = ""] = real.split(".");
    for (const token of [`${h}.${p}.`, `${h}.${p}`, `${h}.${p}.${s.slice(0, 20)}`, `${h}.${p}.${s}A`, `${h}.${p}.${s}.${s}`]) {
      await expectInvalid(target.server, token);
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses expired tokens with TOKEN_EXPIRED, beyond the clock tolerance (ASVS 9.2.1)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalid(
      target.server,
      craftJwt(header, claimsFor(target.victim, { iat: now - 600, exp: now - 60 }), sign),
      "TOKEN_EXPIRED",
    );
    await expectSessionIntact(target.victim);
  });

  it("refuses nbf and iat in the future and a missing exp (ASVS 9.2.1)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { exp: _exp, ...noExp } = claimsFor(target.victim);
    for (const claims of [
      claimsFor(target.victim, { nbf: now + 120 }),
      claimsFor(target.victim, { iat: now + 120, exp: now + 400 }),
      noExp,
      claimsFor(target.victim, { exp: String(now + 300) }),
      claimsFor(target.victim, { iat: undefined }),
    ]) {
      await expectInvalid(target.server, craftJwt(header, claims, sign));
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses a wrong issuer or audience (ASVS 9.2.3, RFC 8725 §3.8 and §3.9)", async () => {
    for (const change of [
      { iss: "https://evil.example" },
      { aud: "another-api" },
      { aud: ["another-api"] },
      { iss: undefined },
      { aud: undefined },
    ]) {
      await expectInvalid(target.server, craftJwt(header, claimsFor(target.victim, change), sign));
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses a JWT of another type signed with the same key (ASVS 9.2.2, RFC 8725 §3.11, RFC 9068 §4)", async () => {
    for (const typ of ["JWT", "jwt", "id_token+jwt", "", undefined]) {
      await expectInvalid(target.server, craftJwt({ alg: "HS256", ...(typ === undefined ? {} : { typ }) }, claimsFor(target.victim), sign));
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses kid injection and path traversal, whatever the kid names (ASVS 9.1.3, RFC 8725 §3.10)", async () => {
    const kids: unknown[] = [
      "../../../../../../dev/null",
      "/dev/null",
      "' OR '1'='1",
      "x' UNION SELECT 'key",
      "__proto__",
      "constructor",
      0,
      {},
      [],
      null,
    ];
    for (const kid of kids) {
      // Signed with what a naive key lookup would find for that kid: an empty or predictable key.
      for (const secret of ["", "null", String(kid)]) {
        await expectInvalid(target.server, craftJwt({ ...header, kid }, claimsFor(target.victim), hmacSigner(secret)));
      }
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses tokens of 10 KB as invalid and answers a 100 KB Authorization header with a JSON 431 (RFC 8725 §2.9)", async () => {
    await expectInvalid(target.server, craftJwt(header, claimsFor(target.victim, { pad: "a".repeat(10_000) }), sign));
    const huge = craftJwt(header, claimsFor(target.victim, { pad: "a".repeat(100_000) }), sign);
    const response = await fetch(`${target.server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${huge}` },
      body: JSON.stringify({ query: ME }),
    });
    const refused = await expectRefusedOverHttp(response);
    expect(refused.status).toBe(431);
    await expectSessionIntact(target.victim);
  });
});

describe.each([
  { alg: "RS256", privateKey: rsa.privateKey, publicKey: rsa.publicKey, sign: rsaSigner(rsa.privateKey) },
  { alg: "ES256", privateKey: ec.privateKey, publicKey: ec.publicKey, sign: ecSigner(ec.privateKey) },
])("forged $alg access tokens", ({ alg, privateKey, publicKey, sign }) => {
  const target = signingTarget(alg, privateKey);
  let kid: string;
  beforeAll(() => {
    kid = kidOf(target.victim);
  });

  it("accepts a correctly crafted token (control for every refusal below)", async () => {
    const response = await meWith(target.server, craftJwt({ alg, typ: "at+jwt", kid }, claimsFor(target.victim), sign));
    expect(response.body.errors).toBeUndefined();
  });

  it("refuses HS256 keyed with the public key PEM, with or without kid and with leading whitespace (RFC 8725 §2.1 and §3.1)", async () => {
    const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
    const secrets = [spki, spki.trim(), `\n${spki}`, `  ${spki}`, publicKey.export({ format: "der", type: "spki" })];
    if (alg === "RS256") secrets.push(publicKey.export({ type: "pkcs1", format: "pem" }).toString());
    for (const secret of secrets) {
      for (const extra of [{ kid }, {}]) {
        await expectInvalid(
          target.server,
          craftJwt({ alg: "HS256", typ: "at+jwt", ...extra }, claimsFor(target.victim), hmacSigner(secret)),
        );
      }
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses alg none and a stripped signature (ASVS 9.1.2)", async () => {
    await expectInvalid(target.server, craftJwt({ alg: "none", typ: "at+jwt", kid }, claimsFor(target.victim)));
    const [h = "", p = ""] = (target.victim.client.accessToken as string).split(".");
    await expectInvalid(target.server, `${h}.${p}.`);
    await expectSessionIntact(target.victim);
  });

  it("refuses a key the token brings itself: embedded jwk, jku and x5u headers (ASVS 9.1.3, RFC 8725 §3.10)", async () => {
    const attackerJwk = attackerEc.publicKey.export({ format: "jwk" });
    const attackerSign = ecSigner(attackerEc.privateKey);
    const url = "http://127.0.0.1:9/jwks.json";
    for (const extra of [
      { jwk: attackerJwk },
      { jwk: attackerJwk, kid },
      { jku: url },
      { jku: url, kid },
      { x5u: url, kid },
      { x5c: ["MIIB"], kid },
    ]) {
      await expectInvalid(target.server, craftJwt({ alg: "ES256", typ: "at+jwt", ...extra }, claimsFor(target.victim), attackerSign));
    }
    // The real key with an added jku is not one of our tokens either: we never issue these headers.
    await expectInvalid(target.server, craftJwt({ alg, typ: "at+jwt", kid, jku: url }, claimsFor(target.victim), sign));
    await expectSessionIntact(target.victim);
  });

  it("refuses an unknown kid and the right kid with another algorithm (RFC 8725 §3.1)", async () => {
    await expectInvalid(target.server, craftJwt({ alg, typ: "at+jwt", kid: `${kid}x` }, claimsFor(target.victim), sign));
    for (const other of ["RS384", "ES384", "PS256", "RS256", "ES256"].filter((a) => a !== alg)) {
      await expectInvalid(target.server, craftJwt({ alg: other, typ: "at+jwt", kid }, claimsFor(target.victim), sign));
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses the victim's token with a tampered claim (ASVS 9.1.1)", async () => {
    const { header, payload, signature } = partsOf(target.victim.client.accessToken as string);
    const tampered = `${segment(header)}.${segment({ ...payload, roles: ["ADMIN"] })}.${signature}`;
    expect(errorOf(await target.server.client().request(USERS, {}, { token: tampered }))).toMatchObject({ reason: "TOKEN_INVALID" });
    await expectSessionIntact(target.victim);
  });
});

/** Forgeries only an elliptic-curve verifier can fall for. */
describe("forged ES256 signatures", () => {
  const target = signingTarget("ES256", ec.privateKey);

  it("refuses an ES256 signature with r = s = 0, the 'psychic signature' (RFC 8725 §3.4, CVE-2022-21449)", async () => {
    const header = { alg: "ES256", typ: "at+jwt", kid: kidOf(target.victim) };
    const zero = () => Buffer.alloc(64);
    await expectInvalid(target.server, craftJwt(header, claimsFor(target.victim), zero));
    // The same zeros in DER form: SEQUENCE { INTEGER 0, INTEGER 0 }.
    await expectInvalid(
      target.server,
      craftJwt(header, claimsFor(target.victim), () => Buffer.from("3006020100020100", "hex")),
    );
    await expectSessionIntact(target.victim);
  });
});
