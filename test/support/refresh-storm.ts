import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import { GraphQLClient, ME, REFRESH } from "./graphql-client.js";

/** What the refreshes of a storm answered: "ok", an error's reason or code, or "network". */
export type StormTally = Record<string, number>;

export interface Storm {
  /** Stops the loops and waits for the requests in flight; the tally of every answer. */
  stop(): Promise<StormTally>;
  /** Each browser's client as it ends: its jar holds the newest cookie it was given. */
  readonly clients: GraphQLClient[];
}

/**
 * Browsers refreshing in a loop, each one after the other, as fast as the server answers. A
 * browser keeps the cookie it was last given: an answer that sets none (an error) leaves its jar as
 * it was, so the next refresh presents the same token again, which is a client's retry. When a
 * server does not answer at all, the browser moves to the next of `urls` (a load balancer taking a
 * dead instance out) with the same jar.
 */
export function startRefreshStorm(browsers: readonly GraphQLClient[], urls: readonly string[] = []): Storm {
  const tally: StormTally = {};
  const clients = [...browsers];
  let running = true;
  const loop = async (index: number) => {
    while (running) {
      const client = clients[index] as GraphQLClient;
      let outcome: string;
      try {
        const response = await client.request(REFRESH);
        const extensions = response.body.errors?.[0]?.extensions;
        outcome = extensions ? String(extensions.reason ?? extensions.code) : "ok";
      } catch {
        outcome = "network";
        clients[index] = failOver(client, urls);
        await sleep(20);
      }
      tally[outcome] = (tally[outcome] ?? 0) + 1;
    }
  };
  const loops = clients.map((_, index) => loop(index));
  return {
    clients,
    async stop() {
      running = false;
      await Promise.all(loops);
      return tally;
    },
  };
}

function failOver(client: GraphQLClient, urls: readonly string[]): GraphQLClient {
  const others = urls.filter((url) => url !== client.baseUrl);
  if (others.length === 0) return client;
  const moved = new GraphQLClient(others[Math.floor(Math.random() * others.length)] as string);
  for (const [name, value] of client.cookies) moved.cookies.set(name, value);
  moved.accessToken = client.accessToken;
  return moved;
}

/** After a storm: every browser's newest cookie still refreshes, and the new token reads `me`. Nobody was logged out. */
export async function expectEveryBrowserRefreshes(clients: readonly GraphQLClient[], tally: StormTally): Promise<void> {
  for (const browser of clients) {
    const response = await browser.request(REFRESH);
    expect(response.body.errors, JSON.stringify(tally)).toBeUndefined();
    browser.accessToken = response.body.data.refreshToken.accessToken;
    expect((await browser.request(ME)).body.data?.me).toBeTruthy();
  }
}
