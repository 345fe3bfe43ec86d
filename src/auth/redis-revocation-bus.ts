import { Redis } from "ioredis";
import type { OutageLog } from "../faults/outage-log.js";
import { redisRetryDelay } from "../faults/redis-retry.js";
import {
  decodeRevocation,
  encodeRevocation,
  type RevocationBus,
  type RevocationHandlers,
  type RevocationMessage,
} from "./revocation-bus.js";

/**
 * Revocations over Redis pub/sub. Publishing uses the app's shared client; listening needs a
 * connection of its own, since a subscribed Redis connection can run no other command.
 *
 * Pub/sub delivers only to those listening at that moment, so after every reconnect the bus first
 * subscribes again and only then calls `onReconnect`, letting the owner re-read the store: a
 * revocation published during the gap is then either heard or found.
 */
export class RedisRevocationBus implements RevocationBus {
  private readonly subscriber: Redis;
  private closed = false;

  constructor(
    private readonly publisher: Redis,
    redisUrl: string,
    private readonly channel: string,
    /** Shared with the app's Redis client: one line when Redis goes, one when it is back. */
    private readonly outage: OutageLog,
  ) {
    this.subscriber = new Redis(redisUrl, {
      lazyConnect: true,
      // Subscribing is done by hand on every "ready", so the catch-up can follow it.
      autoResubscribe: false,
      maxRetriesPerRequest: null,
      retryStrategy: redisRetryDelay,
      connectionName: `revocations-${channel.replace(/[^A-Za-z0-9_-]/g, "_")}`,
    });
  }

  async publish(message: RevocationMessage): Promise<void> {
    await this.publisher.publish(this.channel, encodeRevocation(message));
  }

  async subscribe(handlers: RevocationHandlers): Promise<void> {
    const { subscriber, channel, outage } = this;
    subscriber.on("message", (from: string, payload: string) => {
      if (from !== channel) return;
      const message = decodeRevocation(payload);
      if (message) handlers.onMessage(message);
    });

    let settleFirst: () => void = () => {};
    const first = new Promise<void>((resolve) => {
      settleFirst = resolve;
    });
    // Until subscribe() returns, its owner has yet to read the store; afterwards every successful
    // subscription may follow a gap, so it is followed by a catch-up.
    let returned = false;

    subscriber.on("error", (error: Error) => {
      outage.failed(error);
      settleFirst();
    });
    subscriber.on("reconnecting", () => outage.failed(new Error("connection lost; reconnecting")));
    subscriber.on("ready", () => {
      subscriber.subscribe(channel).then(
        () => {
          outage.recovered();
          if (returned) handlers.onReconnect();
          settleFirst();
        },
        (error: unknown) => {
          outage.failed(error);
          settleFirst();
        },
      );
    });

    // Redis being down at start must not stop the app (rate limits have insurance, readiness
    // reports it); the first success after this returns triggers a catch-up instead.
    subscriber.connect().catch(() => settleFirst());
    await first;
    returned = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.subscriber.disconnect();
  }
}
