import { isIP } from "node:net";
import type { Request } from "express";

/**
 * The address a request is recorded and limited under. Express takes it from X-Forwarded-For when
 * TRUST_PROXY says so, and does not check that the entry it picks is an address at all: a client
 * behind a trusted hop could write `<img src=x>` there and have it stored as its session's IP. Such
 * an entry falls back to the peer's own address, which the socket guarantees is one.
 */
export function clientIp(req: Request): string | null {
  const candidate = req.ip;
  if (candidate !== undefined && isIP(candidate) !== 0) return candidate;
  const peer = req.socket.remoteAddress;
  return peer !== undefined && isIP(peer) !== 0 ? peer : null;
}
