import type { Logger } from "pino";
import type { Clock } from "../clock.js";
import { faultSummary } from "../faults/outage-log.js";
import type { RevocationBus } from "./revocation-bus.js";
import { RevocationList } from "./revocation-list.js";
import type { SessionRepository } from "./session-repository.js";

/**
 * A safety net for a message lost while every subscriber stayed connected (the publisher's own
 * link to the bus was down): one indexed query per interval, never one per request.
 */
const SWEEP_INTERVAL_MS = 30_000;

/**
 * Makes ending a session reach its unexpired access tokens on every instance within a second,
 * without a store read per request (OWASP ASVS 7.4.1): a local deny list, filled from the store on
 * start and after a reconnect, and kept current by the bus (Redis pub/sub or PostgreSQL
 * LISTEN/NOTIFY).
 */
export class SessionRevocations {
  private readonly list: RevocationList;
  private sweepTimer: NodeJS.Timeout | undefined;

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

  /** Listens first, then reads the store, so a revocation between the two is not missed. */
  async start(): Promise<void> {
    await this.bus.subscribe({
      onMessage: (message) => {
        // Kept from when this instance heard it, not the sender's clock: never shorter than the
        // tokens it covers, and a skewed or forged timestamp cannot drop or pin an entry.
        const heardAt = this.clock.now();
        for (const id of message.sessionIds) this.list.add(id, heardAt);
      },
      onReconnect: () => {
        this.catchUp().catch((error: unknown) =>
          this.logger.warn({ fault: faultSummary(error) }, "revocation catch-up failed; the next sweep retries"),
        );
      },
    });
    await this.catchUp();
    this.sweepTimer = setInterval(() => {
      this.list.prune();
      this.catchUp().catch((error: unknown) => this.logger.warn({ fault: faultSummary(error) }, "periodic revocation catch-up failed"));
    }, SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
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
      // Expected while the bus is down, and nothing is lost: the store is the truth, and the
      // others read it after their own reconnect, or at the next sweep.
      this.logger.warn({ fault: faultSummary(error) }, "could not publish session revocation; other instances catch it up from the store");
    }
  }

  /** Adds every session the store shows as ended within the retention window. */
  async catchUp(): Promise<void> {
    const revoked = await this.sessions.revokedSince(this.clock.now() - this.retentionMs);
    for (const { sessionId, revokedAt } of revoked) this.list.add(sessionId, revokedAt);
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.bus.close();
  }
}
