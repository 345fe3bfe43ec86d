/**
 * `npm run bench [-- --store sqlite|postgres] [--duration 5] [--connections 10]`
 *
 * Starts the real server in its own process on loopback, drives each scenario with autocannon from
 * another process, and prints each scenario's throughput as a ratio to a `{ __typename }` baseline
 * measured in the same run on the same machine. See bench/README.md.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { arch, cpus } from "node:os";
import { parseArgs } from "node:util";
import { type ScratchStore, scratchPostgres, scratchSqlite } from "../support/scratch-stores.js";
import { login, PASSWORD, signUp } from "./bench-client.js";
import type { LoadResult, LoadSpec } from "./load.js";
import { type ServerProcess, startServer } from "./server-process.js";

const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

/** The development/test cookie name (`NODE_ENV=test` in server-process.ts). */
const COOKIE_NAME = "refresh_token";

interface Scenario {
  readonly name: string;
  readonly spec: Omit<LoadSpec, "url" | "connections" | "durationSeconds">;
}

interface Options {
  readonly store: "sqlite" | "postgres";
  readonly durationSeconds: number;
  readonly connections: number;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      store: { type: "string", default: "sqlite" },
      duration: { type: "string", default: "5" },
      connections: { type: "string", default: "10" },
    },
  });
  const durationSeconds = Number(values.duration);
  const connections = Number(values.connections);
  if (values.store !== "sqlite" && values.store !== "postgres") throw new Error("--store accepts sqlite or postgres");
  // Bounded so a typo cannot turn a benchmark into a long load test.
  if (!Number.isInteger(durationSeconds) || durationSeconds < 1 || durationSeconds > 60)
    throw new Error("--duration accepts 1 to 60 seconds");
  if (!Number.isInteger(connections) || connections < 1 || connections > 100) throw new Error("--connections accepts 1 to 100");
  return { store: values.store, durationSeconds, connections };
}

const json = { "content-type": "application/json" };
const body = (query: string, variables?: Record<string, unknown>) => JSON.stringify({ query, variables });

/** Creates the user and the sessions the scenarios use, through the API like any client. */
async function prepareScenarios(endpoint: string, connections: number): Promise<Scenario[]> {
  const username = `bench_${process.pid}`;
  const { accessToken } = await signUp(endpoint, COOKIE_NAME, username);
  // One session per connection: each connection's refresh chain is its own, as each browser's is.
  const sessions: string[] = [];
  for (let i = 0; i < connections; i += 1) sessions.push((await login(endpoint, COOKIE_NAME, username)).refreshCookie);
  return [
    { name: "{ __typename } (baseline)", spec: { headers: json, body: body("{ __typename }") } },
    { name: "me (Bearer)", spec: { headers: { ...json, authorization: `Bearer ${accessToken}` }, body: body("{ me { id username } }") } },
    {
      name: "refreshToken (rotation)",
      spec: {
        headers: json,
        body: body("mutation { refreshToken { accessToken } }"),
        rotatingCookie: { name: COOKIE_NAME, values: sessions },
      },
    },
    {
      name: "login (argon2id)",
      spec: {
        headers: json,
        body: body("mutation($input: LoginInput!) { login(input: $input) { accessToken } }", { input: { username, password: PASSWORD } }),
      },
    },
  ];
}

/** The load process running now, so an interrupted run can end it with the server. */
let loadProcess: ChildProcess | undefined;

/** Runs bench/load.ts in its own process, so the load generator does not share the server's event loop. */
function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "bench/load.ts"], { stdio: ["pipe", "pipe", "inherit"] });
    loadProcess = child;
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      loadProcess = undefined;
      const last = out.trim().split("\n").at(-1);
      if (code !== 0 || last === undefined) reject(new Error(`load process exited with code ${code}`));
      else resolve(JSON.parse(last) as LoadResult);
    });
    // Tokens travel on stdin, never on the command line where `ps` would show them.
    child.stdin.end(JSON.stringify(spec));
  });
}

function printTable(rows: readonly { name: string; result: LoadResult }[]): void {
  const baseline = rows[0]?.result.requestsPerSecond ?? 0;
  const header = ["scenario", "req/s", "p50 ms", "p99 ms", "errors", "vs baseline"];
  const lines = rows.map(({ name, result }) => [
    name,
    result.requestsPerSecond.toFixed(0),
    result.p50Ms.toFixed(1),
    result.p99Ms.toFixed(1),
    String(result.errors),
    baseline > 0 ? `${(result.requestsPerSecond / baseline).toFixed(3)}x` : "-",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const format = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  console.log(format(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const line of lines) console.log(format(line));
}

async function main(): Promise<void> {
  const options = readOptions();
  let store: ScratchStore | undefined;
  let server: ServerProcess | undefined;
  const cleanup = async () => {
    loadProcess?.kill("SIGTERM");
    await server?.stop();
    await store?.drop();
  };
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  try {
    store =
      options.store === "postgres"
        ? await scratchPostgres(process.env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES_URL, "bench")
        : scratchSqlite("auth-bench");
    server = await startServer(store.url);
    const endpoint = `${server.url}/graphql`;
    const scenarios = await prepareScenarios(endpoint, options.connections);
    console.log(
      `store ${store.name}, ${options.connections} connections, ${options.durationSeconds} s each, ` +
        `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? arch()}`,
    );
    // A short unreported run first, so the baseline is not measured on a cold JIT.
    await runLoad({
      url: endpoint,
      connections: options.connections,
      durationSeconds: 1,
      ...(scenarios[0]?.spec ?? { headers: json, body: "" }),
    });
    const rows: { name: string; result: LoadResult }[] = [];
    for (const scenario of scenarios) {
      const result = await runLoad({
        url: endpoint,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        ...scenario.spec,
      });
      rows.push({ name: scenario.name, result });
    }
    console.log("");
    printTable(rows);
    const refresh = rows.find((row) => row.name.startsWith("refreshToken"))?.result;
    if (refresh) {
      console.log(
        `\nrefreshToken: ${refresh.rotations} rotations carried forward; ` +
          `${refresh.chainsIntact}/${options.connections} sessions still refreshed after the run`,
      );
    }
    const problems: string[] = [];
    if (rows.some((row) => row.result.errors > 0)) problems.push("some requests failed: see the errors column");
    if (refresh && refresh.chainsIntact < options.connections) problems.push("a session's rotation chain broke during the run");
    // Within REFRESH_REUSE_GRACE a stale cookie is answered with the same successor, so a client that
    // stopped carrying cookies forward would still succeed; only the count of new cookies shows it.
    if (refresh && refresh.rotations < refresh.total - refresh.errors - options.connections) {
      problems.push("refreshToken answers did not rotate the cookie on every request");
    }
    for (const problem of problems) console.log(problem);
    if (problems.length > 0) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `bench failed: ${error.message}` : "bench failed");
  process.exitCode = 1;
});
