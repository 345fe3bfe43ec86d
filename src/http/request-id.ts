import { randomUUID } from "node:crypto";
import type { RequestHandler, Response } from "express";

/**
 * Gives every request a fresh id, answered in `X-Request-Id` and kept in `res.locals`. A client's
 * own `X-Request-Id` is neither trusted nor rewritten: ids the client chooses could forge log
 * entries (OWASP ASVS 16.4.1).
 */
export const assignRequestId: RequestHandler = (_req, res, next) => {
  const requestId = randomUUID();
  res.locals.requestId = requestId;
  res.setHeader("X-Request-Id", requestId);
  next();
};

/** The id `assignRequestId` gave this request's response. */
export function requestIdOf(res: Response): string {
  return typeof res.locals.requestId === "string" ? res.locals.requestId : "";
}
