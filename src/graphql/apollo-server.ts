import type { Server } from "node:http";
import { ApolloServer, type ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from "@apollo/server/plugin/disabled";
import { ApolloServerPluginDrainHttpServer } from "@apollo/server/plugin/drainHttpServer";
import { ApolloServerPluginLandingPageLocalDefault } from "@apollo/server/plugin/landingPage/default";
import type { Config } from "../config.js";
import type { GraphQLContext } from "../context.js";
import type { OutageLog } from "../faults/outage-log.js";
import type { Logger } from "../logger.js";
import type { Metrics } from "../metrics/metrics.js";
import { createErrorFormatter } from "./error-formatter.js";
import { graphqlLimits } from "./graphql-limits.js";
import { InFlightOperations } from "./in-flight-operations.js";
import { requestPlugin } from "./request-plugin.js";
import { buildSchema } from "./schema.js";

export interface GraphQLServer {
  readonly apollo: ApolloServer<GraphQLContext>;
  /** Stops Apollo, then waits (10 s at most) for operations still running, so the store can close. */
  stop(): Promise<void>;
}

function plugins(
  config: Config,
  inFlight: InFlightOperations,
  httpServer: Server | undefined,
  metrics: Metrics | undefined,
  reportUnexpected: (error: unknown, requestId: string | undefined) => void,
): ApolloServerPlugin<GraphQLContext>[] {
  return [
    // Every answer is no-store (http/security-headers.ts), so Apollo's cache-control plugin, on by
    // default, has nothing to say; its per-field hook also made Apollo wrap every resolver.
    ApolloServerPluginCacheControlDisabled(),
    // The only plugin with per-request hooks (see there for why one).
    requestPlugin({ inFlight, metrics, reportUnexpected }),
    config.isProduction
      ? ApolloServerPluginLandingPageDisabled()
      : // Sandbox sends requests from this page's origin with credentials, so refreshToken works there.
        ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: true }),
    ...(httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer })] : []),
  ];
}

/** The contract's schema on Apollo Server, with the query limits, error masking and plugins; started. */
export async function startGraphQLServer(
  config: Config,
  logger: Logger,
  storeOutage: OutageLog,
  httpServer?: Server,
  metrics?: Metrics,
): Promise<GraphQLServer> {
  const inFlight = new InFlightOperations();
  const limits = graphqlLimits(config);
  // An unreachable store fails every request until it returns: one line per outage, not per request.
  const reportUnexpected = (error: unknown, requestId: string | undefined) => {
    if (!storeOutage.absorbs(error)) logger.error({ err: error, requestId }, "unexpected error in GraphQL operation");
  };
  const apollo = new ApolloServer<GraphQLContext>({
    schema: buildSchema(),
    // Apollo's own warnings go through pino too, with the same redaction and request ids.
    logger,
    validationRules: limits.validationRules as never,
    plugins: plugins(config, inFlight, httpServer, metrics, reportUnexpected),
    parseOptions: limits.parseOptions,
    maxRecursiveSelections: true,
    allowBatchedHttpRequests: false,
    // Off: see http/persisted-queries.ts, which refuses such requests before they get here.
    persistedQueries: false,
    csrfPrevention: true,
    // ENABLE_INTROSPECTION is enforced by graphqlLimits' rule, whose refusal names the setting.
    introspection: true,
    // Off: in production the error formatter drops field suggestions from every error (Apollo's
    // option would add a per-request plugin doing it for validation errors only).
    hideSchemaDetailsFromClientErrors: false,
    // The contract: no stack trace or internal message leaves the server outside development.
    includeStacktraceInErrorResponses: config.env === "development",
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter({ exposeDetails: config.env === "development", hideSuggestions: config.isProduction }),
  });
  await apollo.start();
  return {
    apollo,
    async stop() {
      await apollo.stop();
      await inFlight.idle(10_000);
    },
  };
}
