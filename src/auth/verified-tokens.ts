import type { Viewer } from "./access-tokens.js";

/** Enough for every client of a busy instance; at ~1.5 KB a token, at most ~6 MB. */
const DEFAULT_CAPACITY = 4096;

interface Entry {
  readonly viewer: Viewer;
  /** The token's `iat`, epoch seconds. */
  readonly issuedAt: number;
}

/**
 * Access tokens whose signature and claims have already been checked, by their exact text. A
 * client sends the same token on every request until it expires, and checking it again cost ~18%
 * of a `me` (issue 8: about 90 µs of CPU in the running server). The text is the key, so a token
 * that differs in any byte is checked in full; only tokens that passed are kept, so refused ones
 * cannot fill it; and a hit still has its time claims checked against the clock, as the full check
 * does. Revocation is checked after this, on every request. Keys are fixed for the process's life,
 * so a result never goes stale for any other reason.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = DEFAULT_CAPACITY) {}

  /**
   * The viewer of a token checked before, if it is still inside its lifetime at `nowSeconds`
   * (the same bounds jsonwebtoken and AccessTokens apply, with the same tolerance).
   */
  viewerOf(token: string, nowSeconds: number, toleranceSeconds: number): Viewer | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (nowSeconds >= entry.viewer.expiresAt + toleranceSeconds || entry.issuedAt > nowSeconds + toleranceSeconds) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.viewer;
  }

  /** Keeps a token that passed the full check; the oldest entry makes room when full. */
  remember(token: string, viewer: Viewer, issuedAt: number): void {
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, { viewer, issuedAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
