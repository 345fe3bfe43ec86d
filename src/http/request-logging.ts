import type { RequestHandler, Response } from "express";
import type { Logger } from "../logger.js";
import { requestIdOf } from "./request-id.js";

/** What GraphQL adds to a request's log line: the operation's name and the error codes sent. */
export interface GraphQLOutcome {
  readonly operation: string | undefined;
  readonly errorCodes: readonly string[];
}

/** Keeps `outcome` for the request's log line, written once the response has gone. */
export function noteForRequestLog(res: Response, outcome: GraphQLOutcome): void {
  res.locals.graphqlOutcome = outcome;
}

function outcomeFields(res: Response): Record<string, unknown> {
  const outcome = res.locals.graphqlOutcome as GraphQLOutcome | undefined;
  if (outcome === undefined) return {};
  return {
    ...(outcome.operation ? { operation: outcome.operation } : {}),
    ...(outcome.errorCodes.length > 0 ? { errorCodes: outcome.errorCodes } : {}),
  };
}

/**
 * One line per request: method, path, status, time, request id, and for GraphQL the operation name
 * and error codes. No headers, bodies, variables or query strings (a GET query may carry
 * variables). The app's other lines about a request (audit events, unexpected errors) carry the
 * same id, handed down in ClientInfo rather than through AsyncLocalStorage, whose promise hooks
 * cost every request about 7% (issue 8 profile).
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    // The level can change at run time, so it is asked per request; below info, no listener at all.
    if (!logger.isLevelEnabled("info")) {
      next();
      return;
    }
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(res);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        {
          requestId,
          method: req.method,
          path: req.originalUrl.split("?")[0],
          status: res.statusCode,
          ms: Math.round(ms * 10) / 10,
          ...outcomeFields(res),
        },
        "request",
      );
    });
    next();
  };
}
