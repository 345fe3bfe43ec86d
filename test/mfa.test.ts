import { print } from "graphql";
import { describe, expect, it } from "vitest";
import { DeleteAccountDocument, RequestEmailChangeDocument } from "../client/generated/operations.js";
import { CHANGE_PASSWORD, errorOf, LOGIN, ME, REFRESH } from "./support/graphql-client.js";
import { claimsOf } from "./support/jwt.js";
import { ManualClock } from "./support/manual-clock.js";
import {
  BEGIN_TOTP,
  CONFIRM_TOTP,
  DISABLE_TOTP,
  enableMfa,
  MFA_ENABLED,
  mfaTokenFor,
  REGENERATE_CODES,
  STEP_MS,
  totpCode,
  verifyMfa,
} from "./support/mfa-steps.js";
import { serverPerSuite, setRefreshCookie } from "./support/server-fixture.js";
import { STORES } from "./support/stores.js";
import { signUpUser } from "./support/test-server.js";

describe.each(STORES)("TOTP second factor on $name", (kind) => {
  const clock = new ManualClock();
  const fixture = serverPerSuite(kind, { clock, env: { MFA_ISSUER: "Example Auth" } });

  /** A signed-up user with MFA on, and a fresh client (no cookie) to log in with. */
  async function mfaUser() {
    const client = fixture.server.client();
    const account = await signUpUser(client);
    const mfa = await enableMfa(client, account.password, clock);
    return { ...account, ...mfa, client, device: fixture.server.client() };
  }

  it("enrols: begin checks the password and changes nothing; confirm proves a code and turns MFA on with 10 single-shown recovery codes", async () => {
    const client = fixture.server.client();
    const { username, password } = await signUpUser(client);
    expect(errorOf(await client.request(BEGIN_TOTP, { p: "not the password at all" }))).toMatchObject({
      code: "UNAUTHENTICATED",
      reason: "INVALID_CREDENTIALS",
    });

    const begun = await client.request(BEGIN_TOTP, { p: password });
    const { secret, otpauthUri, qrCodeSvg } = begun.body.data?.beginTotpEnrollment ?? {};
    expect(secret).toMatch(/^[A-Z2-7]{32}$/); // 32 base32 characters: 160 bits
    const uri = new URL(otpauthUri);
    expect(`${uri.protocol}//${uri.host}${decodeURIComponent(uri.pathname)}`).toBe(`otpauth://totp/Example Auth:${username}`);
    expect(Object.fromEntries(uri.searchParams)).toMatchObject({
      secret,
      issuer: "Example Auth",
      algorithm: "SHA1",
      digits: "6",
      period: "30",
    });
    expect(qrCodeSvg).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\s*$/);

    // Nothing changed yet: MFA is off and a password login still completes.
    expect((await client.request(MFA_ENABLED)).body.data?.me.mfaEnabled).toBe(false);
    expect((await fixture.server.client().request(LOGIN, { input: { username, password } })).body.data?.login.accessToken).toBeTruthy();

    expect(errorOf(await client.request(CONFIRM_TOTP, { code: totpCode(secret, clock, 3) }))).toMatchObject({
      code: "BAD_USER_INPUT",
      field: "code",
    });
    const confirmed = await client.request(CONFIRM_TOTP, { code: totpCode(secret, clock) });
    const codes = confirmed.body.data?.confirmTotpEnrollment as string[];
    expect(codes).toHaveLength(10);
    expect(new Set(codes).size).toBe(10);
    // 24 base32 characters each: 120 bits, far above the 50 the contract asks.
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{4}){5}$/);
    expect((await client.request(MFA_ENABLED)).body.data?.me.mfaEnabled).toBe(true);

    expect(errorOf(await client.request(BEGIN_TOTP, { p: password }))).toMatchObject({
      code: "BAD_USER_INPUT",
      reason: "MFA_ALREADY_ENABLED",
    });
    expect(errorOf(await client.request(CONFIRM_TOTP, { code: totpCode(secret, clock) })).reason).toBe("MFA_ALREADY_ENABLED");
  });

  it("answers a right password with MFA_REQUIRED and no cookie; verifyMfa completes the login with amr pwd+otp, kept by refresh", async () => {
    const { username, password, secret, device } = await mfaUser();
    const first = await device.request(LOGIN, { input: { username, password } });
    expect(errorOf(first)).toMatchObject({ code: "UNAUTHENTICATED", reason: "MFA_REQUIRED" });
    expect(first.body.data).toBeNull();
    expect(setRefreshCookie(fixture, first)).toBeUndefined();
    const mfaToken = first.body.errors?.[0]?.extensions?.mfaToken as string;
    expect(mfaToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    expect(errorOf(await verifyMfa(device, mfaToken, totpCode(secret, clock, 5)))).toMatchObject({
      code: "UNAUTHENTICATED",
      reason: "MFA_CODE_INVALID",
    });
    const done = await verifyMfa(device, mfaToken, totpCode(secret, clock));
    expect(done.body.errors).toBeUndefined();
    expect(done.headers.get("cache-control")).toContain("no-store");
    expect(setRefreshCookie(fixture, done)?.value).toBeTruthy();
    const { accessToken, user } = done.body.data?.verifyMfa ?? {};
    expect(user.username).toBe(username);
    expect(claimsOf(accessToken).amr).toEqual(["pwd", "otp"]);
    expect((await device.request(ME, undefined, { token: accessToken })).body.data?.me.username).toBe(username);

    const refreshed = await device.request(REFRESH);
    expect(claimsOf(refreshed.body.data?.refreshToken.accessToken).amr).toEqual(["pwd", "otp"]);

    // The mfaToken is used up, and the code cannot serve a second login (RFC 6238 §5.2).
    expect(errorOf(await verifyMfa(device, mfaToken, totpCode(secret, clock, 1))).reason).toBe("MFA_TOKEN_INVALID");
    const again = await mfaTokenFor(device, username, password);
    expect(errorOf(await verifyMfa(device, again, totpCode(secret, clock))).reason).toBe("MFA_CODE_INVALID");
  });

  it("gives a password-only login amr pwd, and refuses unknown, malformed and expired mfaTokens", async () => {
    const plain = fixture.server.client();
    await signUpUser(plain);
    expect(claimsOf(plain.accessToken as string).amr).toEqual(["pwd"]);

    const { username, password, secret, device } = await mfaUser();
    for (const bogus of ["A".repeat(43), "not-a-token", ""]) {
      expect(errorOf(await verifyMfa(device, bogus, totpCode(secret, clock))).reason).toBe("MFA_TOKEN_INVALID");
    }
    const mfaToken = await mfaTokenFor(device, username, password);
    clock.advance(5 * 60_000 + 1_000);
    expect(errorOf(await verifyMfa(device, mfaToken, totpCode(secret, clock))).reason).toBe("MFA_TOKEN_INVALID");
  });

  it("accepts one time step of drift either way and refuses two", async () => {
    const { username, password, secret, device } = await mfaUser();
    clock.advance(5 * STEP_MS);
    const token = await mfaTokenFor(device, username, password);
    expect(errorOf(await verifyMfa(device, token, totpCode(secret, clock, -2))).reason).toBe("MFA_CODE_INVALID");
    expect(errorOf(await verifyMfa(device, token, totpCode(secret, clock, 2))).reason).toBe("MFA_CODE_INVALID");
    expect((await verifyMfa(device, token, totpCode(secret, clock, -1))).body.data?.verifyMfa).toBeTruthy();

    clock.advance(3 * STEP_MS);
    const next = await mfaTokenFor(device, username, password);
    expect((await verifyMfa(device, next, totpCode(secret, clock, 1))).body.data?.verifyMfa).toBeTruthy();
  });

  it("ends an mfaToken after 5 wrong codes, and counts them in the (username, IP) login limit across mfaTokens", async () => {
    const { username, password, secret, device } = await mfaUser();
    const first = await mfaTokenFor(device, username, password);
    for (let i = 0; i < 3; i++) expect(errorOf(await verifyMfa(device, first, "000000")).reason).toBe("MFA_CODE_INVALID");
    // A fresh mfaToken does not start the count again.
    const second = await mfaTokenFor(device, username, password);
    for (let i = 0; i < 2; i++) expect(errorOf(await verifyMfa(device, second, "000000")).reason).toBe("MFA_CODE_INVALID");
    expect(errorOf(await verifyMfa(device, second, totpCode(secret, clock))).code).toBe("RATE_LIMITED");
    expect(errorOf(await device.request(LOGIN, { input: { username, password } })).code).toBe("RATE_LIMITED");

    // Another account, another pair: 5 wrong codes on one mfaToken end it, whatever comes next.
    const other = await mfaUser();
    const token = await mfaTokenFor(other.device, other.username, other.password);
    for (let i = 0; i < 5; i++) expect(errorOf(await verifyMfa(other.device, token, "000000")).reason).toBe("MFA_CODE_INVALID");
    expect(errorOf(await verifyMfa(other.device, token, totpCode(other.secret, clock))).reason).toBe("MFA_TOKEN_INVALID");
  });

  it("completes a login with a recovery code (amr pwd+mfa) once, in any case and spacing", async () => {
    const { username, password, recoveryCodes, device } = await mfaUser();
    const [code = "", other = ""] = recoveryCodes;
    const done = await verifyMfa(device, await mfaTokenFor(device, username, password), code.toLowerCase().replaceAll("-", " "));
    expect(claimsOf(done.body.data?.verifyMfa.accessToken).amr).toEqual(["pwd", "mfa"]);
    expect(errorOf(await verifyMfa(device, await mfaTokenFor(device, username, password), code)).reason).toBe("MFA_CODE_INVALID");
    expect((await verifyMfa(device, await mfaTokenFor(device, username, password), other)).body.data?.verifyMfa).toBeTruthy();
  });

  it("regenerates recovery codes with a TOTP code only; the old ones stop working", async () => {
    const { username, password, secret, recoveryCodes, client, device } = await mfaUser();
    expect(errorOf(await client.request(REGENERATE_CODES, { code: recoveryCodes[0] })).reason).toBe("MFA_CODE_INVALID");
    const fresh = (await client.request(REGENERATE_CODES, { code: totpCode(secret, clock) })).body.data
      ?.regenerateRecoveryCodes as string[];
    expect(fresh).toHaveLength(10);
    expect(fresh.some((code) => recoveryCodes.includes(code))).toBe(false);
    expect(errorOf(await verifyMfa(device, await mfaTokenFor(device, username, password), recoveryCodes[1] as string)).reason).toBe(
      "MFA_CODE_INVALID",
    );
    expect((await verifyMfa(device, await mfaTokenFor(device, username, password), fresh[0] as string)).body.data?.verifyMfa).toBeTruthy();
  });

  it("turns MFA off only with a current code; then a password logs in again and the old secret means nothing", async () => {
    const { username, password, secret, client, device } = await mfaUser();
    expect(errorOf(await client.request(DISABLE_TOTP, { code: totpCode(secret, clock, 4) }))).toMatchObject({
      code: "UNAUTHENTICATED",
      reason: "MFA_CODE_INVALID",
    });
    expect((await client.request(MFA_ENABLED)).body.data?.me.mfaEnabled).toBe(true);
    expect((await client.request(DISABLE_TOTP, { code: totpCode(secret, clock) })).body.data?.disableTotp).toBe(true);
    expect((await client.request(MFA_ENABLED)).body.data?.me.mfaEnabled).toBe(false);
    const login = await device.request(LOGIN, { input: { username, password } });
    expect(claimsOf(login.body.data?.login.accessToken).amr).toEqual(["pwd"]);
    clock.advance(STEP_MS);
    expect(errorOf(await client.request(DISABLE_TOTP, { code: totpCode(secret, clock) })).code).toBe("BAD_USER_INPUT");
  });

  it("asks changePassword for a second factor while MFA is on: missing, wrong, then right", async () => {
    const { username, password, secret, client, device } = await mfaUser();
    const change = (totpCode?: string) =>
      client.request(CHANGE_PASSWORD, { input: { currentPassword: password, newPassword: "a brand new passphrase 2291", totpCode } });
    expect(errorOf(await change())).toMatchObject({ code: "BAD_USER_INPUT", field: "totpCode" });
    expect(errorOf(await change("123 456"))).toMatchObject({ code: "UNAUTHENTICATED", reason: "MFA_CODE_INVALID" });
    const pending = await mfaTokenFor(device, username, password);
    const changed = await change(totpCode(secret, clock));
    expect(changed.body.errors).toBeUndefined();
    // A login step opened with the old password cannot be completed after the change.
    clock.advance(STEP_MS);
    expect(errorOf(await verifyMfa(device, pending, totpCode(secret, clock))).reason).toBe("MFA_TOKEN_INVALID");
    // The new password still needs the second factor.
    expect(errorOf(await device.request(LOGIN, { input: { username, password: "a brand new passphrase 2291" } })).reason).toBe(
      "MFA_REQUIRED",
    );
  });

  it("asks requestEmailChange and deleteAccount for a second factor while MFA is on: missing, wrong, then right", async () => {
    const { username, password, secret, client } = await mfaUser();
    const requestChange = (totpCode?: string) =>
      client.request(print(RequestEmailChangeDocument), {
        input: { newEmail: `${username}.new@example.com`, currentPassword: password, totpCode },
      });
    expect(errorOf(await requestChange())).toMatchObject({ code: "BAD_USER_INPUT", field: "totpCode" });
    expect(errorOf(await requestChange("123 456"))).toMatchObject({ code: "UNAUTHENTICATED", reason: "MFA_CODE_INVALID" });
    expect((await requestChange(totpCode(secret, clock))).body.data?.requestEmailChange).toBe(true);

    clock.advance(STEP_MS);
    const remove = (totpCode?: string) => client.request(print(DeleteAccountDocument), { currentPassword: password, totpCode });
    expect(errorOf(await remove())).toMatchObject({ code: "BAD_USER_INPUT", field: "totpCode" });
    expect(errorOf(await remove("123 456"))).toMatchObject({ code: "UNAUTHENTICATED", reason: "MFA_CODE_INVALID" });
    expect((await client.request(ME)).body.data?.me.username).toBe(username);
    expect((await remove(totpCode(secret, clock))).body.data?.deleteAccount).toBe(true);
  });
});
