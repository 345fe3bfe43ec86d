import type { SessionEndReason } from "./graphql-answer.js";

/** What one tab tells the others: a new access token, or the end of the session they share. */
export type TabMessage =
  | { readonly type: "token"; readonly accessToken: string; readonly expiresAt: number; readonly lifetime: number }
  | { readonly type: "end"; readonly reason: SessionEndReason };

/** The part of the Web Locks API used here; declared locally so the package compiles without the DOM library. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
  /** With `ifAvailable`, the callback gets null at once when another tab holds the lock. */
  request<T>(name: string, options: { ifAvailable: true }, callback: (lock: object | null) => Promise<T>): Promise<T>;
}

/**
 * How long a tab that had to wait for the lock waits for the holder's news before it refreshes
 * itself. The news usually comes within milliseconds; a holder that had none to give (its refresh
 * failed) costs the waiter this much once.
 */
const NEWS_GRACE_MS = 500;

/** The browser tabs of one origin that talk to the same API: one refresh at a time, and news of tokens and logouts. */
export interface TabSync {
  post(message: TabMessage): void;
  /** Runs `task` while no other tab runs one under the same name (Web Locks), or at once where there are none. */
  exclusive<T>(task: () => Promise<T>): Promise<T>;
  close(): void;
}

/**
 * Tabs share the refresh cookie, so two tabs refreshing at once would each present it: the second
 * gets a rotated cookie at best and a theft detection at worst (RFC 9700 §4.14.2 rotation). One
 * lock per API makes them take turns; the winner posts its new token, which the others then use.
 */
export function connectTabs(url: string, onMessage: (message: TabMessage) => void): TabSync | undefined {
  if (typeof BroadcastChannel === "undefined") return undefined;
  const name = `graphql-auth-api:${url}`;
  const channel = new BroadcastChannel(name);
  /** Messages received so far, and who waits for the next one. */
  let received = 0;
  const waiting = new Set<() => void>();
  channel.onmessage = (event: MessageEvent) => {
    received += 1;
    onMessage(event.data as TabMessage);
    for (const wake of waiting) wake();
  };
  /** Resolves once a message has arrived since `seen` was read, or after `ms`. */
  const newsSince = (seen: number, ms: number) =>
    new Promise<void>((resolve) => {
      if (received !== seen) return resolve();
      const wake = () => {
        clearTimeout(timer);
        waiting.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      waiting.add(wake);
    });
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;

  async function exclusive<T>(task: () => Promise<T>, lockManager: LockManagerLike): Promise<T> {
    const seen = received;
    const free = await lockManager.request(name, { ifAvailable: true }, async (lock) => {
      if (lock === null) return null;
      // A tab that has just refreshed may have let go a moment ago: one turn of the event loop lets
      // its message arrive before this tab decides whether to refresh too.
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { result: await task() };
    });
    if (free !== null) return free.result;
    // Another tab holds the lock, most likely refreshing. It posts its token (or the session's end)
    // before letting go, but the message and the lock travel apart: the lock can come first. So
    // wait for the news, briefly, before deciding whether to refresh too.
    return lockManager.request(name, async () => {
      await newsSince(seen, NEWS_GRACE_MS);
      return task();
    });
  }

  return {
    post: (message) => channel.postMessage(message),
    exclusive: (task) => (locks ? exclusive(task, locks) : task()),
    close: () => channel.close(),
  };
}
