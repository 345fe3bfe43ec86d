import type { RequestHandler } from "express";
import { type Logger, withRequestId } from "../logger.js";
import { requestIdOf } from "./request-id.js";

/**
 * One line per request: method, path, status, time, request id. No headers, bodies or query
 * strings (a GET query may carry variables). The rest of the request runs in the request id's
 * scope, so the app's other log lines carry it too.
 */
export function requestLogging(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const requestId = requestIdOf(res);
    res.on("finish", () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      logger.info(
        { requestId, method: req.method, path: req.originalUrl.split("?")[0], status: res.statusCode, ms: Math.round(ms * 10) / 10 },
        "request",
      );
    });
    withRequestId(requestId, next);
  };
}
