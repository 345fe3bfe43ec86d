/**
 * Carries "these sessions ended" between instances. Each instance adds what it hears to its own
 * revocation list; `onReconnect` lets the owner catch up from the store after a gap.
 */
export interface RevocationBus {
  publish(message: RevocationMessage): Promise<void>;
  /**
   * Starts listening. Resolves once the first attempt has settled, whether or not it connected: a
   * bus that is down must not stop the app. Every later successful (re)subscription calls
   * `onReconnect`, after the subscription is live, so nothing published in the gap is lost.
   */
  subscribe(handlers: RevocationHandlers): Promise<void>;
  close(): Promise<void>;
}

export interface RevocationHandlers {
  onMessage(message: RevocationMessage): void;
  /** The bus may have missed messages: read the store. */
  onReconnect(): void;
}

export interface RevocationMessage {
  readonly sessionIds: readonly string[];
  readonly endedAt: number;
}

/** One process, one store: nothing to carry. Used with SQLite. */
export class LocalRevocationBus implements RevocationBus {
  async publish(): Promise<void> {}
  async subscribe(): Promise<void> {}
  async close(): Promise<void> {}
}

export function encodeRevocation(message: RevocationMessage): string {
  return JSON.stringify({ s: message.sessionIds, t: message.endedAt });
}

/**
 * Parses a message from the wire; anything malformed is dropped. Ids from a foreign deployment
 * would only sit unused in the deny list until they expire.
 */
export function decodeRevocation(payload: string): RevocationMessage | undefined {
  try {
    const value = JSON.parse(payload) as { s?: unknown; t?: unknown };
    if (!Array.isArray(value.s) || typeof value.t !== "number") return undefined;
    const sessionIds = value.s.filter((id): id is string => typeof id === "string" && id.length <= 64);
    return { sessionIds, endedAt: value.t };
  } catch {
    return undefined;
  }
}
