import type { GraphQLResponse } from "@apollo/server";

/**
 * When an operation was refused as a whole for a rate limit (no data at all), answer HTTP 429 with
 * `Retry-After`, as HTTP clients and proxies expect (RFC 6585 §4).
 */
export function answerRateLimitRefusalWith429(response: GraphQLResponse): void {
  if (response.body.kind !== "single") return;
  const { data, errors } = response.body.singleResult;
  if (!errors?.length || (data !== null && data !== undefined)) return;
  const retryAfters = errors.map((e) => (e.extensions?.code === "RATE_LIMITED" ? Number(e.extensions.retryAfter) : Number.NaN));
  if (retryAfters.some(Number.isNaN)) return;
  response.http.status = 429;
  response.http.headers.set("retry-after", String(Math.max(...retryAfters)));
}
