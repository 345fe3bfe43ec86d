import { dictionary } from "@zxcvbn-ts/language-common";
import { describe, expect, it } from "vitest";
import { isCommonPassword } from "../src/users/common-passwords.js";

describe("the common-password list (NIST SP 800-63B §3.1.1.2)", () => {
  const list = dictionary["passwords-common"] as string[];

  it("finds every one of its entries, in any case", () => {
    const missed = list.filter((entry) => !isCommonPassword(entry) || !isCommonPassword(entry.toUpperCase()));
    expect(missed).toEqual([]);
    expect(list.length).toBeGreaterThan(40_000);
  });

  it("finds nothing else: near misses and strings beyond either end of the order", () => {
    for (const other of ["correct horse battery staple 9", "password1!x#", "", "\u0000", "\uffff\uffff", "zzzzzzzzzzzzzzzzzzzzzzz"]) {
      expect(list.includes(other.toLowerCase()), other).toBe(false);
      expect(isCommonPassword(other), other).toBe(false);
    }
  });
});
