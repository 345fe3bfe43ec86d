import { describe, expect, it } from "vitest";
import { AccessTokens, type Viewer } from "../src/auth/access-tokens.js";
import { createSigningKeys } from "../src/auth/signing-keys.js";
import { BoundedMap } from "../src/bounded-map.js";
import { ManualClock } from "./support/manual-clock.js";
import { testConfig } from "./support/test-config.js";

const SECOND = 1_000;

/** AccessTokens as the server builds them: 10-minute tokens, 5 s of clock tolerance. */
function accessTokens() {
  const config = testConfig({ ACCESS_TOKEN_TTL: "10m", JWT_CLOCK_TOLERANCE: "5s" });
  const clock = new ManualClock();
  const tokens = new AccessTokens(createSigningKeys(config.jwt), config.jwt, clock);
  const subject = {
    userId: "u1",
    sessionId: "s1",
    roles: ["USER"] as const,
    username: "ada",
    email: "ada@example.com",
    emailVerified: true,
  };
  const { token } = tokens.issue(subject, clock.now() + 3_600 * SECOND);
  return { tokens, clock, token };
}

function viewerOf(result: ReturnType<AccessTokens["verify"]>): Viewer {
  if (!result.ok) throw new Error(`refused: ${result.reason}`);
  return result.viewer;
}

/** The token with one character of its signature changed. */
function withAlteredSignature(token: string): string {
  const last = token.at(-2) === "A" ? "B" : "A";
  return `${token.slice(0, -2)}${last}${token.at(-1)}`;
}

describe("access tokens checked once, then recognised by their text", () => {
  it("answers a token seen before with the viewer of its first check", () => {
    const { tokens, token } = accessTokens();
    const first = viewerOf(tokens.verify(token));
    expect(viewerOf(tokens.verify(token))).toBe(first);
    expect(first.username).toBe("ada");
  });

  it("checks a token differing by one signature character in full, and refuses it", () => {
    const { tokens, token } = accessTokens();
    viewerOf(tokens.verify(token));
    expect(tokens.verify(withAlteredSignature(token))).toEqual({ ok: false, reason: "TOKEN_INVALID" });
    viewerOf(tokens.verify(token));
  });

  it("still expires a known token at exp plus the tolerance", () => {
    const { tokens, clock, token } = accessTokens();
    viewerOf(tokens.verify(token));
    clock.advance(10 * 60 * SECOND + 4 * SECOND);
    viewerOf(tokens.verify(token));
    clock.advance(2 * SECOND);
    expect(tokens.verify(token)).toEqual({ ok: false, reason: "TOKEN_EXPIRED" });
  });

  it("refuses a known token once the clock is set back before its issue time", () => {
    const { tokens, clock, token } = accessTokens();
    viewerOf(tokens.verify(token));
    clock.advance(-6 * SECOND);
    expect(tokens.verify(token)).toEqual({ ok: false, reason: "TOKEN_INVALID" });
  });

  it("hands out a frozen viewer, so no request can change what the next one sees", () => {
    const { tokens, token } = accessTokens();
    const viewer = viewerOf(tokens.verify(token));
    expect(() => (viewer.roles as string[]).push("ADMIN")).toThrow(TypeError);
    expect(() => Object.assign(viewer, { userId: "someone-else" })).toThrow(TypeError);
    expect(viewerOf(tokens.verify(token)).roles).toEqual(["USER"]);
  });

  it("keeps at most its capacity, letting the oldest token go first", () => {
    const { tokens, token } = accessTokens();
    const viewer = viewerOf(tokens.verify(token));
    const known = new BoundedMap<string, Viewer>(2);
    known.set("a", viewer);
    known.set("b", viewer);
    known.set("c", viewer);
    expect(known.size).toBe(2);
    expect(known.get("a")).toBeUndefined();
    expect(known.get("c")).toBe(viewer);
    known.set("c", viewer);
    expect(known.has("b")).toBe(true);
  });
});
