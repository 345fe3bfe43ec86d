/**
 * ioredis reconnect delay: quick at first and never more than half a second apart, so a Redis that
 * comes back is used again (and revocations caught up) within a second; a reconnect attempt to a
 * dead loopback or LAN port costs next to nothing.
 */
export function redisRetryDelay(attempt: number): number {
  return Math.min(50 * attempt, 500);
}
