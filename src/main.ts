import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { type App, createApp } from "./app.js";
import { ConfigError, loadConfig, readEnvironment } from "./config.js";
import { configWarnings } from "./config-warnings.js";
import { boundHeapGrowth } from "./heap-growth.js";
import { createLogger, terminalDestination } from "./logger.js";

/** One line per problem, each naming its variable; the process then exits 1. */
function reportConfigError(error: ConfigError): never {
  for (const line of error.problems) console.error(`config error: ${line}`);
  process.exit(1);
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Reads the configuration, builds the app, listens, and owns a graceful shutdown. */
async function main(): Promise<void> {
  boundHeapGrowth();
  const env = readEnvironment();
  const config = loadConfig(env);
  const logger = createLogger(
    config.logLevel,
    await terminalDestination({ isProduction: config.isProduction, isTTY: process.stdout.isTTY === true }),
  );
  for (const line of configWarnings(config, env)) logger.warn(line);
  const httpServer = createServer();
  const app: App = await createApp(config, { logger, httpServer });
  httpServer.on("request", app.express);
  let address: AddressInfo;
  try {
    address = await listen(httpServer, config.port, config.host);
  } catch (error) {
    await app.stop().catch(() => {});
    throw error;
  }
  // Apollo's own signal handling re-raises the signal (exit 143); we drain and exit 0 instead.
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    app
      .stop()
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));

  // Only now: whoever waits for this line may stop the server at once, and the line can reach
  // them (through the log's writer thread) before this thread runs its next statement.
  // The port actually bound, so PORT=0 (the OS picks) prints where the server really is.
  const shownHost = config.host === "127.0.0.1" || config.host === "::1" ? "localhost" : config.host;
  logger.info({ env: config.env, store: app.store.dialect }, `serving http://${shownHost}:${address.port}${config.graphqlPath}`);
}

main().catch((error: unknown) => {
  // Bad key material is found while the app builds its signing keys; it is a config error too.
  if (error instanceof ConfigError) reportConfigError(error);
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  console.error(`startup failed: ${message}`);
  process.exit(1);
});
