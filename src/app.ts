import type { Server } from "node:http";
import express, { type Express } from "express";
import type { SigningKeys } from "./auth/signing-keys.js";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { createContextBuilder, type Services } from "./context.js";
import { startGraphQLServer } from "./graphql/apollo-server.js";
import { answerClientErrorsWithJson } from "./http/client-errors.js";
import { graphqlRoute } from "./http/graphql-route.js";
import { inOrder } from "./http/in-order.js";
import { jsonErrorHandler, notFound } from "./http/json-errors.js";
import { metricsRoute } from "./http/metrics-route.js";
import { operationalRoutes } from "./http/operational-routes.js";
import { assignRequestId } from "./http/request-id.js";
import { requestLogging } from "./http/request-logging.js";
import { securityHeaders } from "./http/security-headers.js";
import { createLogger, type Logger } from "./logger.js";
import { Metrics } from "./metrics/metrics.js";
import { createServices } from "./services.js";
import type { Store } from "./store/database.js";
import type { RetentionJob } from "./store/retention-job.js";
import type { PasswordHasher } from "./users/password-hasher.js";

export interface AppOptions {
  readonly logger?: Logger;
  readonly clock?: Clock;
  /** The server the app will listen on, so shutdown can drain its connections. */
  readonly httpServer?: Server;
  readonly hasher?: PasswordHasher;
}

export interface App {
  readonly express: Express;
  readonly services: Services;
  readonly store: Store;
  readonly keys: SigningKeys;
  readonly logger: Logger;
  /** The hourly retention sweep; `sweepNow()` runs one at once. */
  readonly retention: RetentionJob;
  /** Stops taking requests, drains, closes the store and Redis. */
  stop(): Promise<void>;
}

/**
 * Builds the whole service: store (migrated), Redis when configured, services, Apollo and Express.
 * It never listens itself; `main.ts` and the tests do, so several apps can run in one process.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  // Built only when on: off, the request path carries no timers and the route does not exist.
  const metrics = config.metricsEnabled ? new Metrics() : undefined;
  const runtime = await createServices(config, { logger, clock, metrics, ...(options.hasher ? { hasher: options.hasher } : {}) });
  const { services, store, keys } = runtime;
  const graphql = await startGraphQLServer(config, logger, store.outage, options.httpServer, metrics);

  const app = express();
  app.disable("x-powered-by");
  // No ETag: every answer is per caller and `no-store` (security-headers.ts), so a validator would
  // never be used, and Express hashes each body with SHA-1 to make one (issue 8 profile).
  app.disable("etag");
  app.set("trust proxy", config.trustProxy);
  app.use(inOrder(assignRequestId, securityHeaders, requestLogging(logger)));
  app.use(
    config.graphqlPath,
    graphqlRoute(graphql.apollo, services.origins, createContextBuilder(runtime), {
      logger,
      logRefusals: !config.isProduction,
      crossSiteCookie: config.env === "development" && config.cookie.sameSite !== "None" ? config.cookie.sameSite : undefined,
    }),
  );
  // After the GraphQL route, which nearly every request takes: it never walks these.
  app.use(operationalRoutes({ checkReady: runtime.checkReady, jwks: keys.jwks }));
  if (metrics) app.use(metricsRoute(metrics));
  app.use(notFound);
  app.use(jsonErrorHandler(logger));
  if (options.httpServer) answerClientErrorsWithJson(options.httpServer, logger);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await graphql.stop();
      await runtime.close();
    })());

  return { express: app, services, store, keys, logger, retention: runtime.retention, stop };
}
