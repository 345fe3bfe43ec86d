import { type Kysely, sql } from "kysely";
import pg from "pg";
import type { Logger } from "pino";
import { OutageLog } from "../faults/outage-log.js";
import type { Database } from "../store/tables.js";
import {
  decodeRevocation,
  encodeRevocation,
  type RevocationBus,
  type RevocationHandlers,
  type RevocationMessage,
} from "./revocation-bus.js";

/** NOTIFY payloads must stay under 8000 bytes; 100 ids of 36 characters fit with room to spare. */
const IDS_PER_NOTIFY = 100;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * Revocations over PostgreSQL LISTEN/NOTIFY, for several instances sharing one database without
 * Redis. NOTIFY goes through the app's pool; LISTEN holds a dedicated connection, because a pooled
 * one would be handed to other queries and released.
 *
 * NOTIFY reaches only sessions listening at that moment, so after a reconnect the bus listens
 * again and only then calls `onReconnect`, letting the owner re-read the store.
 */
export class PostgresRevocationBus implements RevocationBus {
  private client: pg.Client | undefined;
  private handlers: RevocationHandlers | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private closed = false;
  private readonly outage: OutageLog;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly connectionString: string,
    /** Must be a plain lower-case identifier; it is quoted into LISTEN. */
    private readonly channel: string,
    logger: Logger,
  ) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) throw new Error("revocation channel must be a plain identifier");
    this.outage = new OutageLog(logger, {
      what: "revocation listener (PostgreSQL)",
      meanwhile: "other instances' revocations are caught up from the store once it is back",
    });
  }

  async publish(message: RevocationMessage): Promise<void> {
    for (let i = 0; i < message.sessionIds.length; i += IDS_PER_NOTIFY) {
      const payload = encodeRevocation({ sessionIds: message.sessionIds.slice(i, i + IDS_PER_NOTIFY), endedAt: message.endedAt });
      await sql`select pg_notify(${this.channel}, ${payload})`.execute(this.db);
    }
  }

  async subscribe(handlers: RevocationHandlers): Promise<void> {
    this.handlers = handlers;
    // The store answered the migrations a moment ago; if listening still fails, retry in the
    // background rather than refuse to start, and catch up once it works.
    await this.listen(false);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }

  private async listen(afterGap: boolean): Promise<void> {
    const client = new pg.Client({
      connectionString: this.connectionString,
      application_name: `revocations_${this.channel}`.slice(0, 63),
      // A connection dropped without a FIN would otherwise go unnoticed, and with it every NOTIFY.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
    });
    client.on("notification", (notification) => {
      if (notification.channel !== this.channel || notification.payload === undefined) return;
      const message = decodeRevocation(notification.payload);
      if (message) this.handlers?.onMessage(message);
    });
    client.on("error", (error) => this.lost(client, error));
    client.on("end", () => this.lost(client, undefined));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (error) {
      this.lost(client, error);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.retryMs = FIRST_RETRY_MS;
    this.outage.recovered();
    if (afterGap) this.handlers?.onReconnect();
  }

  /** Drops a failed listener (once) and schedules the next attempt with doubling backoff. */
  private lost(client: pg.Client, error: unknown): void {
    client.removeAllListeners("end");
    client.removeAllListeners("error");
    client.on("error", () => {});
    client.end().catch(() => {});
    if (this.client === client) this.client = undefined;
    if (this.closed || this.retryTimer !== undefined) return;
    this.outage.failed(error ?? new Error("connection ended"));
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.listen(true).catch((failure: unknown) => this.outage.failed(failure));
    }, delay);
    this.retryTimer.unref();
  }
}
