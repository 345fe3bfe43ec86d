import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { LOGOUT, REFRESH } from "../support/graphql-client.js";
import { STORES } from "../support/stores.js";
import { expectRefused, expectSessionIntact, newVictim, targetPerSuite } from "./attack-kit.js";

/**
 * Refresh cookies an attacker can make up: none may refresh, break the server, or touch the
 * victim's session (RFC 9700 §4.14, OWASP ASVS 7.2.1 and 7.2.3).
 */
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** A base64url character that differs only in the two low bits a 32-byte value leaves unused. */
const spareBitsTwin = (char: string) => BASE64URL[BASE64URL.indexOf(char) ^ 1] as string;

describe.each(STORES)("forged refresh cookies on $name", (kind) => {
  const target = targetPerSuite(kind);

  const present = (value: string, query = REFRESH) =>
    target.server.client().request(query, undefined, { cookie: `${target.cookieName}=${value}` });
  const victimToken = () => target.victim.client.cookies.get(target.cookieName) as string;

  it("refuses random, empty and 4 KB values with REFRESH_INVALID or REFRESH_MISSING (ASVS 7.2.1)", async () => {
    const values = [
      randomBytes(32).toString("base64url"),
      randomBytes(64).toString("hex"),
      "",
      "a".repeat(4096),
      `${randomUUID()}.0.${"A".repeat(43)}`,
      `${randomUUID()}.999999999.${randomBytes(32).toString("base64url")}`,
      "%00",
      encodeURIComponent("\u0000\u0001'; DROP TABLE sessions; --"),
      "j%3A%7B%22a%22%3A1%7D", // cookie-parser's "j:" JSON cookie prefix
    ];
    for (const value of values) {
      const refused = expectRefused(await present(value));
      expect(refused.code, value.slice(0, 40)).toBe("UNAUTHENTICATED");
      expect(["REFRESH_INVALID", "REFRESH_MISSING"]).toContain(refused.reason);
    }
    await expectSessionIntact(target.victim);
  });

  it("refuses the victim's access token in place of the refresh cookie (RFC 9700 §4.14, token confusion)", async () => {
    expect(expectRefused(await present(target.victim.client.accessToken as string))).toEqual({
      code: "UNAUTHENTICATED",
      reason: "REFRESH_INVALID",
    });
    await expectSessionIntact(target.victim);
  });

  it("refuses the victim's session id with a forged MAC, a bumped generation, or a MAC from another session (ASVS 7.2.1, RFC 9700 §4.14.2)", async () => {
    const [sessionId = "", generation = "0", mac = ""] = victimToken().split(".");
    const other = await newVictim(target.server);
    const [, , otherMac = ""] = (other.client.cookies.get(target.cookieName) as string).split(".");
    const forged = [
      `${sessionId}.${generation}.${randomBytes(32).toString("base64url")}`,
      `${sessionId}.${Number(generation) + 1}.${mac}`,
      `${sessionId}.${generation}.${otherMac}`,
      `${sessionId.toUpperCase()}.${generation}.${mac}`,
      `${sessionId}.${generation}.${mac.slice(0, -1)}`,
      // Non-canonical spellings of the real token: a leading zero, and the MAC's last base64url
      // character with its two spare bits flipped (both decode to the same numbers and bytes).
      `${sessionId}.0${generation}.${mac}`,
      `${sessionId}.${generation}.${mac.slice(0, -1)}${spareBitsTwin(mac.slice(-1))}`,
    ];
    for (const value of forged) {
      const refused = expectRefused(await present(value));
      expect(refused.code).toBe("UNAUTHENTICATED");
    }
    await expectSessionIntact(target.victim);
    await expectSessionIntact(other);
  });

  it("lets no forged cookie end the victim's session through logout (ASVS 7.2.1)", async () => {
    const [sessionId = "", generation = "0"] = victimToken().split(".");
    for (const value of [`${sessionId}.${generation}.${randomBytes(32).toString("base64url")}`, "a".repeat(4096), ""]) {
      const out = await present(value, LOGOUT);
      expect(out.body).toEqual({ data: { logout: true } });
    }
    await expectSessionIntact(target.victim);
  });
});
