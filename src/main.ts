import { createServer } from "node:http";
import { createApp } from "./app.js";
import { type Config, ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

/** Reads the configuration, builds the app, listens, and owns a graceful shutdown. */
async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      for (const line of error.problems) console.error(`config error: ${line}`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  const httpServer = createServer();
  const app = await createApp(config, { logger, httpServer });
  httpServer.on("request", app.express);
  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const shownHost = config.host === "127.0.0.1" || config.host === "::1" ? "localhost" : config.host;
  logger.info({ env: config.env, store: app.store.dialect }, `serving http://${shownHost}:${port}${config.graphqlPath}`);

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
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `startup failed: ${error.message}` : "startup failed");
  process.exit(1);
});
