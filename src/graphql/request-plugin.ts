import type {
  ApolloServerPlugin,
  GraphQLRequestContextDidEncounterErrors,
  GraphQLRequestContextDidResolveOperation,
  GraphQLRequestContextWillSendResponse,
  GraphQLRequestListener,
} from "@apollo/server";
import { unwrapResolverError } from "@apollo/server/errors";
import type { GraphQLContext } from "../context.js";
import { noteForRequestLog } from "../http/request-logging.js";
import type { Metrics } from "../metrics/metrics.js";
import { operationLabel } from "../metrics/operation-label.js";
import { isUnexpected } from "./error-formatter.js";
import type { InFlightOperations } from "./in-flight-operations.js";
import { answerRateLimitRefusalWith429 } from "./rate-limit-status.js";

/** Operation names are client-chosen; a log line keeps a readable prefix of one. */
const MAX_NAME = 100;

/** The metrics label of requests that never reached a valid operation: unparsable, invalid, or naming none. */
const UNRESOLVED = "unresolved";

interface RequestPluginDeps {
  readonly inFlight: InFlightOperations;
  /** Absent when metrics are off: then nothing is timed. */
  readonly metrics: Metrics | undefined;
  /** Logs an error the client sees only as INTERNAL_SERVER_ERROR, with the request it failed. */
  readonly reportUnexpected: (error: unknown, requestId: string | undefined) => void;
}

/** One request's passage through Apollo; its methods are Apollo's lifecycle hooks. */
class RequestListener implements GraphQLRequestListener<GraphQLContext> {
  private readonly startedAt: number;
  private label = UNRESOLVED;
  private finished = false;

  constructor(private readonly deps: RequestPluginDeps) {
    deps.inFlight.started();
    this.startedAt = deps.metrics ? performance.now() : 0;
  }

  async didResolveOperation({ document, operation }: GraphQLRequestContextDidResolveOperation<GraphQLContext>) {
    if (operation && this.deps.metrics) this.label = operationLabel(document, operation);
  }

  async didEncounterErrors({ errors, contextValue }: GraphQLRequestContextDidEncounterErrors<GraphQLContext>) {
    for (const error of errors) {
      if (isUnexpected(error)) this.deps.reportUnexpected(unwrapResolverError(error), contextValue.client.requestId);
    }
  }

  async willSendResponse({ operationName, response, contextValue }: GraphQLRequestContextWillSendResponse<GraphQLContext>) {
    // Once per request, even if Apollo reaches this hook again on an error path.
    if (this.finished) return;
    this.finished = true;
    answerRateLimitRefusalWith429(response);
    const errors = response.body.kind === "single" ? (response.body.singleResult.errors ?? []) : [];
    noteForRequestLog(contextValue.res, {
      operation: operationName ? operationName.slice(0, MAX_NAME) : undefined,
      errorCodes: [...new Set(errors.map((error) => String(error.extensions?.code ?? "INTERNAL_SERVER_ERROR")))],
    });
    this.deps.metrics?.operationDuration.observe({ operation: this.label }, (performance.now() - this.startedAt) / 1000);
    this.deps.inFlight.finished();
  }
}

/**
 * The one Apollo plugin with per-request hooks. Apollo awaits each lifecycle hook across all of a
 * request's listeners, a `Promise.all` per hook and a promise per listener, so every listener
 * costs every request whatever it does: the six there were in production (ours, graphql-armor's
 * and Apollo's suggestion filter) allocated ~10 KB of a `{ __typename }`'s 75 (issue 8). This
 * one listener, made per request:
 * - counts the operation in flight, so shutdown waits for it (in-flight-operations.ts);
 * - times it for GET /metrics, labelled by its root field (metrics/operation-label.ts);
 * - logs the detail of each unexpected error with the request id;
 * - answers 429 to an operation refused whole by a rate limit (rate-limit-status.ts);
 * - hands the request's log line the operation name, as resolved from the document (never a name
 *   the document does not hold), and the codes of the errors sent, after masking. Never
 *   variables or the query text, which may hold passwords (OWASP ASVS 16.2.5).
 */
export function requestPlugin(deps: RequestPluginDeps): ApolloServerPlugin<GraphQLContext> {
  return { requestDidStart: async () => new RequestListener(deps) };
}
