import type { SessionEndReason } from "./graphql-answer.js";

/** What one tab tells the others: a new access token, or the end of the session they share. */
export type TabMessage =
  | { readonly type: "token"; readonly accessToken: string; readonly expiresAt: number; readonly lifetime: number }
  | { readonly type: "end"; readonly reason: SessionEndReason };

/** The part of the Web Locks API used here; declared locally so the package compiles without the DOM library. */
interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

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
  channel.onmessage = (event: MessageEvent) => onMessage(event.data as TabMessage);
  const locks = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
  return {
    post: (message) => channel.postMessage(message),
    exclusive: (task) =>
      locks
        ? locks.request(name, async () => {
            // A tab that refreshed posts its token before it lets go of the lock; one turn of the
            // event loop lets that message arrive before this tab decides whether to refresh too.
            await new Promise((resolve) => setTimeout(resolve, 0));
            return task();
          })
        : task(),
    close: () => channel.close(),
  };
}
