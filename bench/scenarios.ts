/** The measurements of one round against one store and mode: ours, the peers, and the raw floors. */
import { randomBytes } from "node:crypto";
import { login, PASSWORD, signUp } from "./bench-client.js";
import { runJson } from "./child-json.js";
import type { LoadResult, LoadSpec } from "./load.js";
import { peerToken } from "./peers/peer-me.js";
import type { RawResult, RawSpec } from "./raw-rates.js";
import type { ServerProcess } from "./server-process.js";

/** One scenario's outcome in one round. Raw floors have no latency (NaN). */
export interface Sample {
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** Rotation check (refreshToken only): new cookies seen, chains intact out of `connections`. */
  readonly rotation?: { rotations: number; intact: number; total: number };
}

export interface Scenario {
  readonly key: ScenarioKey;
  readonly label: string;
  run(): Promise<Sample>;
}

export type ScenarioKey =
  | "ours.typename"
  | "apollo.typename"
  | "ours.me"
  | "apollo.me"
  | "yoga.me"
  | "ours.refresh"
  | "raw.cas"
  | "raw.login"
  | "ours.login"
  | "raw.argon2"
  | "ours.me-during-logins";

/**
 * Refresh connections per account, half the default cap of 50 live sessions: when a round's
 * logins take an account past the cap, the sessions they end are earlier rounds', never their own.
 */
const SESSIONS_PER_REFRESH_USER = 25;

/** Concurrent logins while `me` is measured (issue 8: hashing must not starve the event loop). */
export const CONCURRENT_LOGINS = 20;

export interface Targets {
  readonly ours: ServerProcess;
  readonly apollo: ServerProcess;
  readonly yoga: ServerProcess;
  readonly cookieName: string;
  readonly peerSecret: string;
  /** PostgreSQL only: where the raw compare-and-set runs. */
  readonly postgresUrl: string | undefined;
}

const json = { "content-type": "application/json" };
const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });
const TYPENAME = body("{ __typename }");
const ME = body("{ me { id username } }");

function fromLoad(result: LoadResult): Sample {
  return { requestsPerSecond: result.requestsPerSecond, p50Ms: result.p50Ms, p99Ms: result.p99Ms, errors: result.errors };
}

/** Signs up the run's user on our server and builds every scenario; each `run` is one measurement. */
export async function prepareScenarios(targets: Targets, connections: number, durationSeconds: number): Promise<Scenario[]> {
  const endpoint = `${targets.ours.url}/graphql`;
  const username = `bench_${randomBytes(4).toString("hex")}`;
  const { accessToken } = await signUp(endpoint, targets.cookieName, username);
  // The refresh and login scenarios sign in as users of their own: their sessions would otherwise
  // push the `me` session out as the account's least recently used (MAX_SESSIONS_PER_USER, left
  // at its default: past 50 sessions each login also ends the oldest, as for any account).
  const refreshUsernames = Array.from({ length: Math.ceil(connections / SESSIONS_PER_REFRESH_USER) }, (_, i) => `${username}_refresh${i}`);
  const loginUsername = `${username}_logins`;
  // The raw login floor's account (PostgreSQL), signed up here like the others so its row is ours.
  const rawLoginUsername = `${username}_raw_logins`;
  const accounts = [...refreshUsernames, loginUsername, ...(targets.postgresUrl === undefined ? [] : [rawLoginUsername])];
  for (const name of accounts) await signUp(endpoint, targets.cookieName, name);
  const peerBearer = `Bearer ${peerToken(targets.peerSecret)}`;
  const loginBody = body("mutation($input: LoginInput!) { login(input: $input) { accessToken } }", {
    input: { username: loginUsername, password: PASSWORD },
  });
  const load = (server: ServerProcess, spec: Omit<LoadSpec, "url" | "connections" | "durationSeconds">, n = connections) =>
    runJson<LoadSpec, LoadResult>("bench/load.ts", { url: `${server.url}/graphql`, connections: n, durationSeconds, ...spec });
  const raw = async (spec: Omit<RawSpec, "durationSeconds">): Promise<Sample> => {
    const result = await runJson<RawSpec, RawResult>("bench/raw-rates.ts", { ...spec, durationSeconds });
    return { requestsPerSecond: result.opsPerSecond, p50Ms: Number.NaN, p99Ms: Number.NaN, errors: 0 };
  };
  const oursMe = { headers: { ...json, authorization: `Bearer ${accessToken}` }, body: ME };
  // The raw floors that only PostgreSQL has; none on SQLite.
  const onPostgres = (scenario: (databaseUrl: string) => Scenario): Scenario[] =>
    targets.postgresUrl === undefined ? [] : [scenario(targets.postgresUrl)];

  const scenarios: Scenario[] = [
    {
      key: "ours.typename",
      label: "ours { __typename }",
      run: async () => fromLoad(await load(targets.ours, { headers: json, body: TYPENAME })),
    },
    {
      key: "apollo.typename",
      label: "bare Apollo { __typename }",
      run: async () => fromLoad(await load(targets.apollo, { headers: json, body: TYPENAME })),
    },
    { key: "ours.me", label: "ours me", run: async () => fromLoad(await load(targets.ours, oursMe)) },
    {
      key: "apollo.me",
      label: "bare Apollo me",
      run: async () => fromLoad(await load(targets.apollo, { headers: { ...json, authorization: peerBearer }, body: ME })),
    },
    {
      key: "yoga.me",
      label: "Yoga me",
      run: async () => fromLoad(await load(targets.yoga, { headers: { ...json, authorization: peerBearer }, body: ME })),
    },
    {
      key: "ours.refresh",
      label: "ours refreshToken",
      run: async () => {
        // Fresh sessions each round, one per connection: a chain carried over from an earlier
        // round would present a cookie already rotated, which is theft by design.
        const sessions: string[] = [];
        for (let i = 0; i < connections; i += 1) {
          const owner = refreshUsernames[Math.floor(i / SESSIONS_PER_REFRESH_USER)] as string;
          sessions.push((await login(endpoint, targets.cookieName, owner)).refreshCookie);
        }
        const result = await load(targets.ours, {
          headers: json,
          body: body("mutation { refreshToken { accessToken } }"),
          rotatingCookie: { name: targets.cookieName, values: sessions },
        });
        return { ...fromLoad(result), rotation: { rotations: result.rotations, intact: result.chainsIntact, total: result.total } };
      },
    },
    ...onPostgres((databaseUrl) => ({
      key: "raw.cas",
      label: "raw compare-and-set UPDATE",
      run: () => raw({ kind: "cas", concurrency: connections, databaseUrl }),
    })),
    { key: "ours.login", label: "ours login", run: async () => fromLoad(await load(targets.ours, { headers: json, body: loginBody })) },
    { key: "raw.argon2", label: "raw argon2id verify", run: () => raw({ kind: "argon2", concurrency: connections }) },
    ...onPostgres((databaseUrl) => ({
      key: "raw.login",
      label: "raw argon2id verify + our login's statements",
      run: () => raw({ kind: "login", concurrency: connections, databaseUrl, username: rawLoginUsername, password: PASSWORD }),
    })),
    {
      key: "ours.me-during-logins",
      label: `ours me, ${CONCURRENT_LOGINS} logins running`,
      run: async () => {
        const [me, logins] = await Promise.all([
          load(targets.ours, oursMe),
          load(targets.ours, { headers: json, body: loginBody }, CONCURRENT_LOGINS),
        ]);
        return { ...fromLoad(me), errors: me.errors + logins.errors };
      },
    },
  ];
  return scenarios;
}
