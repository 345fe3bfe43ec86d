import type { ErrorRequestHandler, RequestHandler } from "express";
import type { Logger } from "pino";
import { requestIdOf } from "./request-id.js";

/** The GraphQL error shape, for refusals made before GraphQL runs. */
export function errorBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/**
 * Express's default handler answers body-parser failures with HTML. Ours answers every refusal with
 * the GraphQL error shape and a 4xx (malformed JSON, too large, bad encoding or content type), and
 * keeps 500 for what is truly unexpected, with the detail only in the log.
 */
export function jsonErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error, _req, res, _next) => {
    const status = typeof error?.status === "number" ? error.status : typeof error?.statusCode === "number" ? error.statusCode : 500;
    if (res.headersSent) return;
    if (status >= 400 && status < 500) {
      const type: string = typeof error?.type === "string" ? error.type : "";
      const message =
        type === "entity.too.large"
          ? "Request body too large"
          : type === "entity.parse.failed"
            ? "Malformed JSON body"
            : status === 415
              ? "Unsupported content type or encoding"
              : "Bad request";
      res.status(status).json(errorBody(message, "BAD_REQUEST"));
      return;
    }
    logger.error({ err: error, requestId: requestIdOf(res) }, "unhandled error in HTTP layer");
    res.status(500).json(errorBody("Internal server error", "INTERNAL_SERVER_ERROR"));
  };
}

export const notFound: RequestHandler = (_req, res) => {
  res.status(404).json(errorBody("Not found", "NOT_FOUND"));
};
