import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { ASYMMETRIC_ALGORITHMS, newKeyPair, privatePem, publicPem } from "./support/key-pairs.js";
import { restartingServerPerSuite } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser, type TestServer } from "./support/test-server.js";

const ISSUER = "https://auth.jwks.test";
const AUDIENCE = "jwks-test-api";

/**
 * A resource server that knows nothing but our JWKS URL, as RFC 9068 §4 and RFC 8725 §3 expect
 * one to work: jose fetches /.well-known/jwks.json and verifies signature, issuer, audience and
 * `typ`. It accepts our tokens, and stops accepting them once their key leaves the JWKS.
 */
describe.each(
  STORES.flatMap((kind) =>
    ASYMMETRIC_ALGORITHMS.map((algorithm) => ({ kind, algorithm, a: newKeyPair(algorithm), b: newKeyPair(algorithm) })),
  ),
)("$algorithm tokens verified by jose through the JWKS on $kind.name", ({ kind, algorithm, a, b }) => {
  const restart = restartingServerPerSuite(kind, { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_ALGORITHM: algorithm });

  /** A fresh resource server's view: a new remote key set, so nothing is cached from before. */
  const verifyRemotely = (s: TestServer, token: string) =>
    jwtVerify(token, createRemoteJWKSet(new URL(`${s.url}/.well-known/jwks.json`)), {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: "at+jwt",
      algorithms: [algorithm],
    });

  async function tokenFrom(s: TestServer): Promise<{ token: string; userId: string }> {
    const client = s.client();
    const { user } = await signUpUser(client);
    return { token: client.accessToken as string, userId: user.id };
  }

  it("accepts our token with the expected claims and header", async () => {
    const s = await restart({ JWT_PRIVATE_KEY: privatePem(a.privateKey) });
    const { token, userId } = await tokenFrom(s);
    const { payload, protectedHeader } = await verifyRemotely(s, token);
    expect(protectedHeader).toEqual({ alg: algorithm, typ: "at+jwt", kid: s.app.keys.current.kid });
    expect(payload).toMatchObject({ sub: userId, iss: ISSUER, aud: AUDIENCE, roles: ["USER"] });
    expect(payload.sid).toEqual(expect.any(String));
    expect(payload.jti).toEqual(expect.any(String));
  });

  it("refuses the same token for another audience or issuer (RFC 8725 §3.8 and §3.9)", async () => {
    const s = await restart({ JWT_PRIVATE_KEY: privatePem(a.privateKey) });
    const { token } = await tokenFrom(s);
    const jwks = createRemoteJWKSet(new URL(`${s.url}/.well-known/jwks.json`));
    await expect(jwtVerify(token, jwks, { issuer: ISSUER, audience: "another-api" })).rejects.toBeInstanceOf(
      errors.JWTClaimValidationFailed,
    );
    await expect(jwtVerify(token, jwks, { issuer: "https://other.issuer", audience: AUDIENCE })).rejects.toBeInstanceOf(
      errors.JWTClaimValidationFailed,
    );
  });

  it("keeps accepting a token of the previous key while the JWKS lists it, and refuses it once retired", async () => {
    const onA = await restart({ JWT_PRIVATE_KEY: privatePem(a.privateKey) });
    const { token: tokenA } = await tokenFrom(onA);
    await expect(verifyRemotely(onA, tokenA)).resolves.toBeDefined();

    const onB = await restart({ JWT_PRIVATE_KEY: privatePem(b.privateKey), JWT_PREVIOUS_PUBLIC_KEYS: publicPem(a.publicKey) });
    const { token: tokenB } = await tokenFrom(onB);
    await expect(verifyRemotely(onB, tokenA)).resolves.toBeDefined();
    await expect(verifyRemotely(onB, tokenB)).resolves.toBeDefined();

    const retired = await restart({ JWT_PRIVATE_KEY: privatePem(b.privateKey) });
    await expect(verifyRemotely(retired, tokenA)).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await expect(verifyRemotely(retired, tokenB)).resolves.toBeDefined();
  });
});
