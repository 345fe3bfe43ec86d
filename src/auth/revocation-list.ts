/**
 * The ids of sessions ended within the last access-token lifetime (plus clock tolerance), kept in
 * memory so that checking an access token needs no store read (OWASP ASVS 7.4.1: ending a session
 * takes effect at once). Entries expire by themselves once no token of theirs can still be valid.
 */
export class RevocationList {
  private readonly endedAt = new Map<string, number>();

  constructor(
    /** How long an entry must be kept: the longest any access token lives, plus tolerance. */
    private readonly retentionMs: number,
    private readonly now: () => number,
  ) {}

  add(sessionId: string, endedAtMs: number = this.now()): void {
    if (endedAtMs + this.retentionMs <= this.now()) return;
    const known = this.endedAt.get(sessionId);
    if (known === undefined || endedAtMs < known) this.endedAt.set(sessionId, endedAtMs);
  }

  has(sessionId: string): boolean {
    return this.endedAt.has(sessionId);
  }

  /** Drops entries whose tokens have all expired; called on a timer. */
  prune(): void {
    const cutoff = this.now() - this.retentionMs;
    for (const [id, at] of this.endedAt) if (at <= cutoff) this.endedAt.delete(id);
  }
}
