import cookieParser from "cookie-parser";
import type { Request, RequestHandler, Response } from "express";

const parseCookies: RequestHandler = cookieParser();

/**
 * The value of cookie `name`, or undefined for none or an empty one. The Cookie header is parsed
 * (by cookie-parser) the first time an operation asks, not on every request: only the
 * cookie-reading mutations need it, and most requests carry just a bearer token.
 */
export function requestCookie(req: Request, name: string): string | undefined {
  if (req.cookies === undefined) parseCookies(req, undefined as unknown as Response, () => {});
  const value: unknown = req.cookies?.[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}
