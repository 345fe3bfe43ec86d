import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import { expressMiddleware } from "@as-integrations/express5";
import cookieParser from "cookie-parser";
import cors from "cors";
import express, { type Express } from "express";
import type { PasswordHasher } from "./auth/password-hasher.js";
import type { SigningKeys } from "./auth/signing-keys.js";
import { type Clock, systemClock } from "./clock.js";
import type { Config } from "./config.js";
import { createContextBuilder, type GraphQLContext, type Services } from "./context.js";
import { createErrorFormatter } from "./errors.js";
import { graphqlLimits } from "./graphql/graphql-limits.js";
import { InFlightOperations } from "./graphql/in-flight-plugin.js";
import { rateLimitStatusPlugin } from "./graphql/rate-limit-status-plugin.js";
import { buildSchema } from "./graphql/schema.js";
import { allowedMethods } from "./http/allowed-methods.js";
import { answerClientErrorsWithJson } from "./http/client-errors.js";
import { contentTypeCheck } from "./http/content-type-check.js";
import { jsonErrorHandler, notFound } from "./http/json-errors.js";
import { refusePersistedQueries } from "./http/persisted-queries.js";
import { requestLogging } from "./http/request-logging.js";
import { createLogger, type Logger } from "./logger.js";
import { createServices } from "./services.js";
import type { Store } from "./store/database.js";

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
  /** Stops taking requests, drains, closes the store and Redis. */
  stop(): Promise<void>;
}

const BODY_LIMIT = "100kb";
/** GraphQL over HTTP: GET for queries, POST, and the CORS preflight. */
const GRAPHQL_METHODS = ["GET", "POST", "OPTIONS"] as const;

/**
 * Builds the whole service: store (migrated), Redis when configured, services, Apollo and Express.
 * It never listens itself; `main.ts` and the tests do, so several apps can run in one process.
 */
export async function createApp(config: Config, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const runtime = await createServices(config, { logger, clock, ...(options.hasher ? { hasher: options.hasher } : {}) });
  const { services, store, keys } = runtime;

  const inFlight = new InFlightOperations();
  const plugins: ApolloServerPlugin<GraphQLContext>[] = [
    inFlight.plugin(),
    config.isProduction
      ? ApolloServerPluginLandingPageDisabled()
      : // Sandbox sends requests from this page's origin with credentials, so refreshToken works there.
        ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: true }),
    rateLimitStatusPlugin(),
  ];
  if (options.httpServer) plugins.push(ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }));
  const limitsOptions = graphqlLimits(config);

  const apollo = new ApolloServer<GraphQLContext>({
    schema: buildSchema(),
    // Apollo's own warnings go through pino too, with the same redaction and request ids.
    logger,
    validationRules: limitsOptions.validationRules as never,
    plugins: [...(limitsOptions.plugins as ApolloServerPlugin<GraphQLContext>[]), ...plugins],
    parseOptions: limitsOptions.parseOptions,
    maxRecursiveSelections: true,
    allowBatchedHttpRequests: false,
    // Off: see http/persisted-queries.ts, which refuses such requests before they get here.
    persistedQueries: false,
    csrfPrevention: true,
    introspection: config.enableIntrospection,
    hideSchemaDetailsFromClientErrors: config.isProduction,
    // The contract: no stack trace or internal message leaves the server outside development.
    includeStacktraceInErrorResponses: config.env === "development",
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter({
      exposeDetails: config.env === "development",
      onUnexpected: (error) => logger.error({ err: error }, "unexpected error in GraphQL operation"),
    }),
  });
  await apollo.start();

  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", config.trustProxy);
  app.use((req, res, next) => {
    const requestId = randomUUID();
    req.headers["x-request-id"] = requestId;
    res.set("X-Request-Id", requestId);
    res.set("X-Content-Type-Options", "nosniff");
    res.set("Referrer-Policy", "no-referrer");
    next();
  });
  app.use(requestLogging(logger));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok" });
  });
  app.get("/readyz", async (_req, res) => {
    try {
      await runtime.checkReady();
      res.json({ status: "ready" });
    } catch (error) {
      logger.warn({ err: error }, "readiness check failed");
      res.status(503).json({ status: "unavailable" });
    }
  });
  app.get("/.well-known/jwks.json", (_req, res) => {
    // Resource servers cache this; a rotated-in key shows within the hour.
    res.set("Cache-Control", "public, max-age=3600").json(keys.jwks);
  });

  app.use(
    config.graphqlPath,
    allowedMethods(GRAPHQL_METHODS),
    contentTypeCheck,
    cors<cors.CorsRequest>({
      origin: (origin, callback) => callback(null, origin === undefined ? false : services.origins.isAllowed(origin)),
      credentials: true,
      methods: [...GRAPHQL_METHODS],
      allowedHeaders: ["content-type", "authorization", "apollo-require-preflight", "x-apollo-operation-name", "apollographql-client-name"],
      maxAge: 600,
    }),
    cookieParser(),
    express.json({ limit: BODY_LIMIT, strict: false }),
    (req, _res, next) => {
      // Non-JSON bodies (text/plain, forms, multipart) reach Apollo empty, where its CSRF
      // prevention refuses them with a 400 instead of the integration failing with a 500.
      req.body ??= {};
      next();
    },
    refusePersistedQueries,
    expressMiddleware(apollo, { context: createContextBuilder(runtime) }),
  );
  app.use(notFound);
  app.use(jsonErrorHandler(logger));
  if (options.httpServer) answerClientErrorsWithJson(options.httpServer, logger);

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      await apollo.stop();
      await inFlight.idle(10_000);
      await runtime.close();
    })());

  return { express: app, services, store, keys, logger, stop };
}
