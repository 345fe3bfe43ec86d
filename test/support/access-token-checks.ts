import { expect } from "vitest";
import { type GraphQLClient, type GraphQLResponse, ME } from "./graphql-client.js";

/** Anything that hands out fresh clients: a server in this process or one in its own. */
export interface ClientSource {
  client(): GraphQLClient;
}

/** `me` with exactly this access token, from a client that holds nothing else. */
export function meWith(server: ClientSource, token: string): Promise<GraphQLResponse> {
  return server.client().request(ME, undefined, { token });
}

/** The token still reads `me`, so its session is alive on this server. */
export async function expectAccepted(server: ClientSource, token: string): Promise<void> {
  const me = await meWith(server, token);
  expect(me.body.errors).toBeUndefined();
  expect(me.body.data?.me.id).toBeTruthy();
}
