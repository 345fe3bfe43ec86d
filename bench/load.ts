/**
 * The load generator, run as its own process so its CPU use is not the server's: reads one
 * LoadSpec as JSON on stdin, drives autocannon against it, prints one LoadResult as JSON.
 */
import { text } from "node:stream/consumers";
import autocannon from "autocannon";
import { parseSetCookie } from "../support/set-cookie.js";

export interface LoadSpec {
  readonly url: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  readonly connections: number;
  readonly durationSeconds: number;
  /** Each connection starts with one of these cookies and presents the newest one it was sent. */
  readonly rotatingCookie?: { readonly name: string; readonly values: readonly string[] };
}

export interface LoadResult {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly total: number;
  /** Non-2xx responses, 2xx responses carrying GraphQL errors, socket errors and timeouts. */
  readonly errors: number;
  /** New refresh cookies received (rotating scenarios only). */
  readonly rotations: number;
  /** Connections whose final cookie still refreshed after the run (rotating scenarios only). */
  readonly chainsIntact: number;
}

/** A connection's own cookie, replaced by every Set-Cookie the server sends it. */
function carryCookie(client: autocannon.Client, spec: LoadSpec, cookies: string[], onRotate: () => void): string[] {
  const rotating = spec.rotatingCookie;
  if (!rotating) return cookies;
  const first = rotating.values[cookies.length];
  if (first === undefined) throw new Error("more connections than prepared sessions");
  const slot = cookies.length;
  cookies.push(first);
  client.setHeaders({ ...spec.headers, cookie: `${rotating.name}=${first}` });
  client.on("headers", (info: { headers: string[] }) => {
    for (let i = 0; i + 1 < info.headers.length; i += 2) {
      if (info.headers[i]?.toLowerCase() !== "set-cookie") continue;
      const { name, value } = parseSetCookie(info.headers[i + 1] ?? "");
      if (name !== rotating.name) continue;
      if (value !== "" && value !== cookies[slot]) onRotate();
      cookies[slot] = value;
      // Rebuilds the request buffer now, before autocannon sends this connection's next request.
      client.setHeaders({ ...spec.headers, cookie: `${rotating.name}=${value}` });
    }
  });
  return cookies;
}

/** Presents each connection's last cookie once more: a broken rotation chain fails here. */
async function countIntactChains(spec: LoadSpec, cookies: readonly string[]): Promise<number> {
  const rotating = spec.rotatingCookie;
  if (!rotating) return 0;
  let intact = 0;
  for (const value of cookies) {
    const res = await fetch(spec.url, {
      method: "POST",
      headers: { ...spec.headers, cookie: `${rotating.name}=${value}` },
      body: spec.body,
    });
    const body = (await res.json()) as { errors?: unknown };
    if (res.ok && body.errors === undefined) intact += 1;
  }
  return intact;
}

async function main(): Promise<void> {
  const spec = JSON.parse(await text(process.stdin)) as LoadSpec;
  const cookies: string[] = [];
  let rotations = 0;
  let failures = 0;
  const result = await autocannon({
    url: spec.url,
    method: "POST",
    headers: spec.headers,
    body: spec.body,
    connections: spec.connections,
    // One request in flight per connection, so each request can carry the cookie the last set.
    pipelining: 1,
    duration: spec.durationSeconds,
    setupClient: (client) => {
      carryCookie(client, spec, cookies, () => {
        rotations += 1;
      });
    },
    requests: [
      {
        // GraphQL reports failures with 200 and an `errors` array; those are failures here too.
        onResponse: (status, body) => {
          if (status < 200 || status >= 300 || body.includes('"errors"')) failures += 1;
        },
      },
    ],
  });
  const output: LoadResult = {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    errors: failures + result.errors + result.timeouts,
    rotations,
    chainsIntact: await countIntactChains(spec, cookies),
  };
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `load failed: ${error.message}` : "load failed");
  process.exit(1);
});
