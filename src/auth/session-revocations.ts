import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import type { RevocationBus } from "./revocation-bus.js";
import { RevocationList } from "./revocation-list.js";
import type { SessionRepository } from "./session-repository.js";

/**
 * Makes ending a session reach its unexpired access tokens on every instance within a second,
 * without a store read per request: a local deny list, filled from the store on start and after a
 * reconnect, and kept current by the bus (Redis pub/sub or PostgreSQL LISTEN/NOTIFY).
 */
export class SessionRevocations {
  private readonly list: RevocationList;
  private pruneTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly bus: RevocationBus,
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Longest access-token lifetime plus clock tolerance. */
    private readonly retentionMs: number,
  ) {
    this.list = new RevocationList(retentionMs, () => clock.now());
  }

  async start(): Promise<void> {
    await this.catchUp();
    await this.bus.subscribe({
      onMessage: (message) => {
        for (const id of message.sessionIds) this.list.add(id, message.endedAt);
      },
      onReconnect: () => {
        this.catchUp().catch((error: unknown) => this.logger.error({ err: error }, "revocation catch-up failed"));
      },
    });
    this.pruneTimer = setInterval(() => this.list.prune(), 60_000);
    this.pruneTimer.unref();
  }

  isRevoked(sessionId: string): boolean {
    return this.list.has(sessionId);
  }

  /** Records ended sessions here at once and tells the other instances. */
  async announce(sessionIds: readonly string[], endedAt: number): Promise<void> {
    if (sessionIds.length === 0) return;
    for (const id of sessionIds) this.list.add(id, endedAt);
    try {
      await this.bus.publish({ sessionIds, endedAt });
    } catch (error) {
      // Other instances still catch up from the store when their subscription reconnects.
      this.logger.error({ err: error }, "could not publish session revocation");
    }
  }

  async catchUp(): Promise<void> {
    const rows = await this.sessions.revokedSince(this.clock.now() - this.retentionMs);
    for (const row of rows) if (row.revoked_at !== null) this.list.add(row.id, row.revoked_at);
  }

  async close(): Promise<void> {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    await this.bus.close();
  }
}
