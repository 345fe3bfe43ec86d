import { generateKeyPairSync, randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, ME, USERS } from "../support/graphql-client.js";
import { STORES, type TestStore } from "../support/stores.js";
import { TEST_ACCESS_SECRET } from "../support/test-config.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import {
  ATTACK_ENV,
  b64url,
  claimsFor,
  craftJwt,
  ecSigner,
  expectRefused,
  expectRefusedOverHttp,
  expectSessionIntact,
  hmacSigner,
  newVictim,
  partsOf,
  rsaSigner,
  segment,
  type Victim,
} from "./attack-kit.js";

/**
 * Forged, altered and out-of-date access tokens, crafted byte by byte, against a running server.
 * Every one must be refused with UNAUTHENTICATED, never a 5xx or a leaked message, and must leave
 * the victim's session working. Each suite first proves that a correctly crafted token *is*
 * accepted, so every refusal below is the server's doing and not a crafting mistake.
 */

const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
const attackerEc = generateKeyPairSync("ec", { namedCurve: "P-256" });
const pem = (key: typeof rsa.privateKey) => key.export({ type: "pkcs8", format: "pem" }).toString();

async function meWith(server: TestServer, token: string) {
  return server.client().request(ME, undefined, { headers: { authorization: `Bearer ${token}` } });
}

async function expectInvalid(server: TestServer, token: string, reason = "TOKEN_INVALID") {
  const response = await meWith(server, token);
  expect(expectRefused(response), token.slice(0, 80)).toEqual({ code: "UNAUTHENTICATED", reason });
}

describe.each(STORES)("forged HS256 access tokens on $name", (kind) => {
  let store: TestStore;
  let server: TestServer;
  let victim: Victim;
  const header = { alg: "HS256", typ: "at+jwt" };
  const sign = hmacSigner(TEST_ACCESS_SECRET);

  beforeAll(async () => {
    store = await kind.create();
    server = await startTestServer({ databaseUrl: store.url, env: ATTACK_ENV });
    victim = await newVictim(server);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.drop();
  });

  it("accepts a correctly crafted token (control for every refusal below)", async () => {
    const response = await meWith(server, craftJwt(header, claimsFor(victim), sign));
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data.me.id).toBe(victim.sub);
  });

  it("refuses alg none, with and without the trailing dot, in any case (ASVS 9.1.2, RFC 8725 §3.1)", async () => {
    for (const alg of ["none", "None", "NONE", "nOnE"]) {
      const unsigned = craftJwt({ alg, typ: "at+jwt" }, claimsFor(victim));
      await expectInvalid(server, unsigned);
      await expectInvalid(server, unsigned.slice(0, -1));
      // alg none carrying the real HMAC: still not a token we accept.
      await expectInvalid(server, `${unsigned}${b64url(sign(unsigned.slice(0, -1)))}`);
    }
    await expectSessionIntact(victim);
  });

  it("refuses a token signed with another HMAC secret (ASVS 9.1.1, RFC 8725 §3.5)", async () => {
    for (const secret of ["", "secret", `${TEST_ACCESS_SECRET} `, randomBytes(32).toString("base64url")]) {
      await expectInvalid(server, craftJwt(header, claimsFor(victim), hmacSigner(secret)));
    }
    await expectSessionIntact(victim);
  });

  it("refuses tampered claims under the original signature: roles raised to ADMIN, another subject (ASVS 9.1.1)", async () => {
    const real = victim.client.accessToken as string;
    const { header: realHeader, payload, signature } = partsOf(real);
    for (const change of [{ roles: ["USER", "ADMIN"] }, { roles: ["ADMIN"] }, { sub: "00000000-0000-4000-8000-000000000000" }]) {
      const tampered = `${segment(realHeader)}.${segment({ ...payload, ...change })}.${signature}`;
      const users = await server.client().request(USERS, {}, { headers: { authorization: `Bearer ${tampered}` } });
      expect(expectRefused(users)).toEqual({ code: "UNAUTHENTICATED", reason: "TOKEN_INVALID" });
    }
    // The same header with a different alg under the original signature.
    const [, body = "", sig = ""] = real.split(".");
    await expectInvalid(server, `${segment({ ...realHeader, alg: "HS512" })}.${body}.${sig}`);
    await expectSessionIntact(victim);
  });

  it("refuses a stripped signature, an empty one and a truncated one (ASVS 9.1.1, RFC 8725 §3.3)", async () => {
    const real = victim.client.accessToken as string;
    const [h = "", p = "", s = ""] = real.split(".");
    for (const token of [`${h}.${p}.`, `${h}.${p}`, `${h}.${p}.${s.slice(0, 20)}`, `${h}.${p}.${s}A`, `${h}.${p}.${s}.${s}`]) {
      await expectInvalid(server, token);
    }
    await expectSessionIntact(victim);
  });

  it("refuses expired tokens with TOKEN_EXPIRED, beyond the clock tolerance (ASVS 9.2.1)", async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectInvalid(server, craftJwt(header, claimsFor(victim, { iat: now - 600, exp: now - 60 }), sign), "TOKEN_EXPIRED");
    await expectSessionIntact(victim);
  });

  it("refuses nbf and iat in the future and a missing exp (ASVS 9.2.1)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const { exp: _exp, ...noExp } = claimsFor(victim);
    for (const claims of [
      claimsFor(victim, { nbf: now + 120 }),
      claimsFor(victim, { iat: now + 120, exp: now + 400 }),
      noExp,
      claimsFor(victim, { exp: String(now + 300) }),
      claimsFor(victim, { iat: undefined }),
    ]) {
      await expectInvalid(server, craftJwt(header, claims, sign));
    }
    await expectSessionIntact(victim);
  });

  it("refuses a wrong issuer or audience (ASVS 9.2.3, RFC 8725 §3.8 and §3.9)", async () => {
    for (const change of [
      { iss: "https://evil.example" },
      { aud: "another-api" },
      { aud: ["another-api"] },
      { iss: undefined },
      { aud: undefined },
    ]) {
      await expectInvalid(server, craftJwt(header, claimsFor(victim, change), sign));
    }
    await expectSessionIntact(victim);
  });

  it("refuses a JWT of another type signed with the same key (ASVS 9.2.2, RFC 8725 §3.11, RFC 9068 §4)", async () => {
    for (const typ of ["JWT", "jwt", "id_token+jwt", "", undefined]) {
      await expectInvalid(server, craftJwt({ alg: "HS256", ...(typ === undefined ? {} : { typ }) }, claimsFor(victim), sign));
    }
    await expectSessionIntact(victim);
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
        await expectInvalid(server, craftJwt({ ...header, kid }, claimsFor(victim), hmacSigner(secret)));
      }
    }
    await expectSessionIntact(victim);
  });

  it("refuses tokens of 10 KB as invalid and answers a 100 KB Authorization header with a JSON 431 (RFC 8725 §2.9)", async () => {
    await expectInvalid(server, craftJwt(header, claimsFor(victim, { pad: "a".repeat(10_000) }), sign));
    const huge = craftJwt(header, claimsFor(victim, { pad: "a".repeat(100_000) }), sign);
    const response = await fetch(`${server.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${huge}` },
      body: JSON.stringify({ query: ME }),
    });
    const refused = await expectRefusedOverHttp(response);
    expect(refused.status).toBe(431);
    await expectSessionIntact(victim);
  });
});

describe.each([
  { alg: "RS256", privateKey: rsa.privateKey, publicKey: rsa.publicKey, sign: rsaSigner(rsa.privateKey) },
  { alg: "ES256", privateKey: ec.privateKey, publicKey: ec.publicKey, sign: ecSigner(ec.privateKey) },
])("forged $alg access tokens", ({ alg, privateKey, publicKey, sign }) => {
  let store: TestStore;
  let server: TestServer;
  let victim: Victim;
  let kid: string;

  beforeAll(async () => {
    store = await (STORES[0] as (typeof STORES)[number]).create();
    server = await startTestServer({
      databaseUrl: store.url,
      env: { ...ATTACK_ENV, JWT_ALGORITHM: alg, JWT_PRIVATE_KEY: pem(privateKey) },
    });
    victim = await newVictim(server);
    kid = String(partsOf(victim.client.accessToken as string).header.kid);
  });
  afterAll(async () => {
    await server?.stop();
    await store?.drop();
  });

  it("accepts a correctly crafted token (control for every refusal below)", async () => {
    const response = await meWith(server, craftJwt({ alg, typ: "at+jwt", kid }, claimsFor(victim), sign));
    expect(response.body.errors).toBeUndefined();
  });

  it("refuses HS256 keyed with the public key PEM, with or without kid and with leading whitespace (RFC 8725 §2.1 and §3.1)", async () => {
    const spki = publicKey.export({ type: "spki", format: "pem" }).toString();
    const secrets = [spki, spki.trim(), `\n${spki}`, `  ${spki}`, publicKey.export({ format: "der", type: "spki" })];
    if (alg === "RS256") secrets.push(publicKey.export({ type: "pkcs1", format: "pem" }).toString());
    for (const secret of secrets) {
      for (const extra of [{ kid }, {}]) {
        await expectInvalid(server, craftJwt({ alg: "HS256", typ: "at+jwt", ...extra }, claimsFor(victim), hmacSigner(secret)));
      }
    }
    await expectSessionIntact(victim);
  });

  it("refuses alg none and a stripped signature (ASVS 9.1.2)", async () => {
    await expectInvalid(server, craftJwt({ alg: "none", typ: "at+jwt", kid }, claimsFor(victim)));
    const [h = "", p = ""] = (victim.client.accessToken as string).split(".");
    await expectInvalid(server, `${h}.${p}.`);
    await expectSessionIntact(victim);
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
      await expectInvalid(server, craftJwt({ alg: "ES256", typ: "at+jwt", ...extra }, claimsFor(victim), attackerSign));
    }
    // The real key with an added jku is not one of our tokens either: we never issue these headers.
    await expectInvalid(server, craftJwt({ alg, typ: "at+jwt", kid, jku: url }, claimsFor(victim), sign));
    await expectSessionIntact(victim);
  });

  it("refuses an unknown kid and the right kid with another algorithm (RFC 8725 §3.1)", async () => {
    await expectInvalid(server, craftJwt({ alg, typ: "at+jwt", kid: `${kid}x` }, claimsFor(victim), sign));
    for (const other of ["RS384", "ES384", "PS256", "RS256", "ES256"].filter((a) => a !== alg)) {
      await expectInvalid(server, craftJwt({ alg: other, typ: "at+jwt", kid }, claimsFor(victim), sign));
    }
    await expectSessionIntact(victim);
  });

  it.runIf(alg === "ES256")(
    "refuses an ES256 signature with r = s = 0, the 'psychic signature' (RFC 8725 §3.4, CVE-2022-21449)",
    async () => {
      const zero = () => Buffer.alloc(64);
      await expectInvalid(server, craftJwt({ alg, typ: "at+jwt", kid }, claimsFor(victim), zero));
      // The same zeros in DER form: SEQUENCE { INTEGER 0, INTEGER 0 }.
      await expectInvalid(
        server,
        craftJwt({ alg, typ: "at+jwt", kid }, claimsFor(victim), () => Buffer.from("3006020100020100", "hex")),
      );
      await expectSessionIntact(victim);
    },
  );

  it("refuses the victim's token with a tampered claim (ASVS 9.1.1)", async () => {
    const { header, payload, signature } = partsOf(victim.client.accessToken as string);
    const tampered = `${segment(header)}.${segment({ ...payload, roles: ["ADMIN"] })}.${signature}`;
    expect(errorOf(await server.client().request(USERS, {}, { token: tampered }))).toMatchObject({ reason: "TOKEN_INVALID" });
    await expectSessionIntact(victim);
  });
});
