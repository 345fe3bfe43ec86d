import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { OutageLog } from "../faults/outage-log.js";
import type { Store } from "../store/database.js";
import { LocalRevocationBus, type RevocationBus } from "./revocation-bus.js";

export interface RevocationBusOptions {
  readonly store: Store;
  /** The app's shared Redis client, when REDIS_URL is set; the bus publishes through it. */
  readonly redis: Redis | undefined;
  readonly redisUrl: string | undefined;
  /** The app's Redis outage log, shared by every Redis connection. */
  readonly redisOutage: OutageLog | undefined;
  /** Names the channel, so only instances sharing this store hear each other. */
  readonly namespace: string;
  readonly logger: Logger;
}

/**
 * Redis pub/sub when REDIS_URL is set, else PostgreSQL LISTEN/NOTIFY, else (SQLite) in-process.
 * A bus and its driver are loaded only when chosen.
 */
export async function createRevocationBus(options: RevocationBusOptions): Promise<RevocationBus> {
  const { store, redis, redisUrl, redisOutage, namespace, logger } = options;
  if (redis && redisUrl && redisOutage) {
    const { RedisRevocationBus } = await import("./redis-revocation-bus.js");
    return new RedisRevocationBus(redis, redisUrl, `auth:${namespace}:revocations`, redisOutage);
  }
  if (store.dialect === "postgres") {
    const { PostgresRevocationBus } = await import("./postgres-revocation-bus.js");
    return new PostgresRevocationBus(store.db, store.url, `auth_revocations_${namespace}`, logger);
  }
  return new LocalRevocationBus();
}
