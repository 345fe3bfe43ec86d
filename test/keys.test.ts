import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { calculateJwkThumbprint } from "jose";
import { describe, expect, it } from "vitest";
import { createSigningKeys } from "../src/auth/signing-keys.js";
import { ConfigError } from "../src/config.js";
import { meWith } from "./support/access-token-checks.js";
import { errorOf } from "./support/graphql-client.js";
import { claimsOf, partsOf } from "./support/jwt.js";
import { newKeyPair, privatePem, publicPem } from "./support/key-pairs.js";
import { restartingServerPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { testConfig } from "./support/test-config.js";
import { signUpUser, type TestServer } from "./support/test-server.js";

const headerOf = (token: string) => partsOf(token).header;

const KEYS = {
  es256a: newKeyPair("ES256"),
  es256b: newKeyPair("ES256"),
  rs256a: newKeyPair("RS256"),
  rs256b: newKeyPair("RS256"),
};

async function jwksOf(server: TestServer) {
  const response = await fetch(`${server.url}/.well-known/jwks.json`);
  return { response, body: (await response.json()) as { keys: Record<string, unknown>[] } };
}

describe("signing keys from configuration", () => {
  it("uses the RFC 7638 thumbprint of the public key as kid", async () => {
    for (const { privateKey, publicKey } of [KEYS.es256a, KEYS.rs256a]) {
      const algorithm = publicKey.asymmetricKeyType === "ec" ? "ES256" : "RS256";
      const keys = createSigningKeys(testConfig({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: privatePem(privateKey) }).jwt);
      expect(keys.current.kid).toBe(await calculateJwkThumbprint(publicKey.export({ format: "jwk" }) as never, "sha256"));
    }
  });

  it("publishes no private member of any key (RFC 7517 §9.2)", () => {
    const keys = createSigningKeys(
      testConfig({
        JWT_ALGORITHM: "RS256",
        JWT_PRIVATE_KEY: privatePem(KEYS.rs256a.privateKey),
        JWT_PREVIOUS_PUBLIC_KEYS: publicPem(KEYS.es256a.publicKey),
      }).jwt,
    );
    for (const jwk of keys.jwks.keys) for (const member of ["d", "p", "q", "dp", "dq", "qi", "k"]) expect(jwk).not.toHaveProperty(member);
  });

  it("refuses keys too weak or of the wrong kind for the algorithm (RFC 7518 §3.3 and §3.4)", () => {
    const weak = [
      { JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: privatePem(generateKeyPairSync("rsa", { modulusLength: 1024 }).privateKey) },
      { JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: privatePem(generateKeyPairSync("ec", { namedCurve: "P-384" }).privateKey) },
      { JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: privatePem(KEYS.rs256a.privateKey) },
      { JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----" },
      {
        JWT_ALGORITHM: "RS256",
        JWT_PRIVATE_KEY: privatePem(KEYS.rs256a.privateKey),
        JWT_PREVIOUS_PUBLIC_KEYS: publicPem(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey),
      },
    ];
    for (const env of weak) expect(() => createSigningKeys(testConfig(env).jwt)).toThrow(ConfigError);
  });
});

describe.each(STORES)("key rotation across restarts on $name", (kind) => {
  const restart = restartingServerPerSuite(kind);
  const keyDir = mkdtempSync(join(tmpdir(), "auth-keys-"));

  for (const [algorithm, a, b] of [
    ["ES256", KEYS.es256a, KEYS.es256b],
    ["RS256", KEYS.rs256a, KEYS.rs256b],
  ] as const) {
    it(`${algorithm}: publishes the key in the JWKS with a cache lifetime, and signs with its kid`, async () => {
      const s = await restart({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: privatePem(a.privateKey) });
      const { response, body } = await jwksOf(s);
      expect(response.headers.get("cache-control")).toMatch(/max-age=\d+/);
      expect(body.keys).toHaveLength(1);
      const [jwk] = body.keys;
      expect(jwk).toMatchObject({ alg: algorithm, use: "sig", kid: s.app.keys.current.kid });
      const client = s.client();
      await signUpUser(client);
      expect(headerOf(client.accessToken as string)).toEqual({ alg: algorithm, typ: "at+jwt", kid: jwk?.kid });
    });

    it(`${algorithm}: a token signed with the previous key verifies until that key is retired (RFC 8725 §3.10)`, async () => {
      const onA = await restart({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: privatePem(a.privateKey) });
      const client = onA.client();
      await signUpUser(client);
      const tokenA = client.accessToken as string;
      const kidA = onA.app.keys.current.kid;

      // Rotated: B signs, A is kept for verification and listed in the JWKS after B.
      writeFileSync(join(keyDir, "current.pem"), privatePem(b.privateKey));
      writeFileSync(join(keyDir, "previous.pem"), publicPem(a.publicKey));
      const onB = await restart({
        JWT_ALGORITHM: algorithm,
        JWT_PRIVATE_KEY_FILE: join(keyDir, "current.pem"),
        JWT_PREVIOUS_PUBLIC_KEYS_FILE: join(keyDir, "previous.pem"),
      });
      const kidB = onB.app.keys.current.kid;
      expect(kidB).not.toBe(kidA);
      expect((await jwksOf(onB)).body.keys.map((k) => k.kid)).toEqual([kidB, kidA]);
      const stillValid = await meWith(onB, tokenA);
      expect(stillValid.body.errors).toBeUndefined();
      expect(stillValid.body.data.me.id).toBe(claimsOf(tokenA).sub);
      const fresh = onB.client();
      await signUpUser(fresh);
      expect(headerOf(fresh.accessToken as string).kid).toBe(kidB);

      // Retired: A is gone from the JWKS and its tokens stop verifying; B's keep working.
      const onBOnly = await restart({ JWT_ALGORITHM: algorithm, JWT_PRIVATE_KEY: privatePem(b.privateKey) });
      expect((await jwksOf(onBOnly)).body.keys.map((k) => k.kid)).toEqual([kidB]);
      expect(errorOf(await meWith(onBOnly, tokenA))).toMatchObject({ code: "UNAUTHENTICATED", reason: "TOKEN_INVALID" });
      expect((await meWith(onBOnly, fresh.accessToken as string)).body.errors).toBeUndefined();
    });
  }

  it("moving from RS256 to ES256 keeps RS256 tokens valid while the RSA key is listed as previous", async () => {
    const onRsa = await restart({ JWT_ALGORITHM: "RS256", JWT_PRIVATE_KEY: privatePem(KEYS.rs256a.privateKey) });
    const client = onRsa.client();
    await signUpUser(client);
    const onEc = await restart({
      JWT_ALGORITHM: "ES256",
      JWT_PRIVATE_KEY: privatePem(KEYS.es256a.privateKey),
      JWT_PREVIOUS_PUBLIC_KEYS: publicPem(KEYS.rs256a.publicKey),
    });
    expect((await jwksOf(onEc)).body.keys.map((k) => k.alg)).toEqual(["ES256", "RS256"]);
    expect((await meWith(onEc, client.accessToken as string)).body.errors).toBeUndefined();
  });

  it("HS256: the previous secret, chosen by kid, verifies until it is dropped; the JWKS stays empty", async () => {
    const first = "first-access-secret-0123456789abcdef-0123456789";
    const second = "second-access-secret-0123456789abcdef-012345678";
    const onFirst = await restart({ JWT_ALGORITHM: "HS256", ACCESS_TOKEN_SECRET: first });
    expect((await jwksOf(onFirst)).body).toEqual({ keys: [] });
    const client = onFirst.client();
    await signUpUser(client);
    const oldToken = client.accessToken as string;
    const oldKid = headerOf(oldToken).kid;

    const onSecond = await restart({ JWT_ALGORITHM: "HS256", ACCESS_TOKEN_SECRET: second, ACCESS_TOKEN_PREVIOUS_SECRETS: first });
    expect((await jwksOf(onSecond)).body).toEqual({ keys: [] });
    expect((await meWith(onSecond, oldToken)).body.errors).toBeUndefined();
    const fresh = onSecond.client();
    await signUpUser(fresh);
    expect(headerOf(fresh.accessToken as string).kid).not.toBe(oldKid);

    const secondOnly = await restart({ JWT_ALGORITHM: "HS256", ACCESS_TOKEN_SECRET: second });
    expect(errorOf(await meWith(secondOnly, oldToken))).toMatchObject({ code: "UNAUTHENTICATED", reason: "TOKEN_INVALID" });
    expect((await meWith(secondOnly, fresh.accessToken as string)).body.errors).toBeUndefined();
  });
});
