import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type App, createApp } from "../../src/app.js";
import type { Clock } from "../../src/clock.js";
import type { Logger } from "../../src/logger.js";
import type { PasswordHasher } from "../../src/users/password-hasher.js";
import { GraphQLClient, LOGIN, SIGN_UP } from "./graphql-client.js";
import { testConfig } from "./test-config.js";

export interface TestServer {
  readonly url: string;
  readonly app: App;
  readonly server: Server;
  /** A new client with an empty cookie jar. */
  client(): GraphQLClient;
  stop(): Promise<void>;
}

/** What a test may set on its server besides the store: environment and the injected dependencies. */
export interface TestServerOptions {
  env?: Record<string, string>;
  clock?: Clock;
  logger?: Logger;
  hasher?: PasswordHasher;
}

/** The real app over real HTTP on 127.0.0.1, port 0, with the given store and settings. */
export async function startTestServer(options: TestServerOptions & { databaseUrl: string }): Promise<TestServer> {
  const config = testConfig({ DATABASE_URL: options.databaseUrl, ...options.env });
  const server = createServer();
  const app = await createApp(config, {
    httpServer: server,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.hasher ? { hasher: options.hasher } : {}),
  });
  server.on("request", app.express);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return { url, app, server, client: () => new GraphQLClient(url), stop: () => app.stop() };
}

let counter = 0;

/** Signs up a fresh user through the API; the client then holds its access token and cookie. */
export async function signUpUser(client: GraphQLClient, password = "correct horse battery staple") {
  counter += 1;
  const username = `user${process.pid}_${counter}_${Math.floor(Math.random() * 1e6)}`;
  const email = `${username}@example.com`;
  const res = await client.request(SIGN_UP, { input: { username, email, password } });
  if (!res.body.data?.signUp) throw new Error(`signUp failed: ${JSON.stringify(res.body.errors)}`);
  client.accessToken = res.body.data.signUp.accessToken;
  return { username, email, password, user: res.body.data.signUp.user as { id: string }, response: res };
}

/** Logs an existing user in, as another device would; the client then holds that session's access token and cookie. */
export async function logInUser(client: GraphQLClient, username: string, password: string) {
  const res = await client.request(LOGIN, { input: { username, password } });
  if (!res.body.data?.login) throw new Error(`login failed: ${JSON.stringify(res.body.errors)}`);
  client.accessToken = res.body.data.login.accessToken;
  return res;
}
