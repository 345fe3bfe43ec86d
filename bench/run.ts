/**
 * `npm run bench [-- --store sqlite|postgres|both] [--mode production|development|both]
 *  [--duration 5] [--connections 10] [--rounds 3]`, or `npm run bench -- --soak`.
 *
 * Starts the project and its peers (bare Apollo, Yoga: bench/peers/) each in its own process on
 * loopback, drives every scenario with autocannon from another process, interleaving the scenarios
 * round by round so machine noise lands on all of them, and prints medians, the ratios issue 8
 * sets goals for, and each process's peak RSS. See bench/README.md.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { arch, cpus } from "node:os";
import { parseArgs } from "node:util";
import { type ScratchStore, scratchPostgres, scratchSqlite } from "../support/scratch-stores.js";
import { killHelpers } from "./child-json.js";
import { printReport, problemsOf, type Rounds } from "./report.js";
import { prepareScenarios, type Scenario } from "./scenarios.js";
import { COOKIE_NAMES, type Mode, residentMb, type ServerProcess, startPeer, startServer } from "./server-process.js";
import { soak } from "./soak.js";

type StoreName = "sqlite" | "postgres";

const DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/test";

interface Options {
  readonly stores: StoreName[];
  readonly modes: Mode[];
  readonly durationSeconds: number;
  readonly connections: number;
  readonly rounds: number;
  readonly soak: boolean;
}

function whole(value: string | undefined, name: string, min: number, max: number): number {
  const n = Number(value);
  // Bounded so a typo cannot turn a benchmark into a long load test.
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} accepts ${min} to ${max}`);
  return n;
}

function readOptions(): Options {
  const { values } = parseArgs({
    options: {
      store: { type: "string", default: "both" },
      mode: { type: "string", default: "both" },
      duration: { type: "string" },
      connections: { type: "string", default: "10" },
      rounds: { type: "string", default: "3" },
      soak: { type: "boolean", default: false },
    },
  });
  const pick = <T extends string>(value: string | undefined, name: string, all: T[]): T[] => {
    if (value === "both") return all;
    if (all.includes(value as T)) return [value as T];
    throw new Error(`--${name} accepts ${all.join(", ")} or both`);
  };
  return {
    stores: pick<StoreName>(values.store, "store", ["sqlite", "postgres"]),
    modes: pick<Mode>(values.mode, "mode", ["production", "development"]),
    // The soak is five minutes unless told otherwise; a scenario, 5 s.
    durationSeconds: whole(values.duration ?? (values.soak ? "300" : "5"), "duration", 1, values.soak ? 1800 : 60),
    connections: whole(values.connections, "connections", 1, 100),
    rounds: whole(values.rounds, "rounds", 1, 9),
    soak: values.soak,
  };
}

/** Everything started for one store and mode, so an interrupted run can stop it all. */
const started: { servers: ServerProcess[]; stores: ScratchStore[] } = { servers: [], stores: [] };

async function cleanup(): Promise<void> {
  killHelpers();
  await Promise.all(started.servers.splice(0).map((server) => server.stop()));
  await Promise.all(started.stores.splice(0).map((store) => store.drop()));
}

async function openStore(name: StoreName): Promise<ScratchStore> {
  const store =
    name === "postgres"
      ? await scratchPostgres(process.env.TEST_DATABASE_URL ?? DEFAULT_POSTGRES_URL, "bench")
      : scratchSqlite("auth-bench");
  started.stores.push(store);
  return store;
}

async function start<T extends ServerProcess>(server: Promise<T>): Promise<T> {
  const running = await server;
  started.servers.push(running);
  return running;
}

/** One store in one mode: every scenario, `rounds` times interleaved; returns the problems found. */
async function benchmark(storeName: StoreName, mode: Mode, options: Options): Promise<string[]> {
  const store = await openStore(storeName);
  const peerSecret = randomBytes(32).toString("base64url");
  const ours = await start(startServer(store.url, mode));
  const apollo = await start(startPeer("apollo-peer", mode, peerSecret));
  const yoga = await start(startPeer("yoga-peer", mode, peerSecret));
  const targets = {
    ours,
    apollo,
    yoga,
    cookieName: COOKIE_NAMES[mode],
    peerSecret,
    postgresUrl: storeName === "postgres" ? store.url : undefined,
  };
  const scenarios = await prepareScenarios(targets, options.connections, options.durationSeconds);
  console.log(`\n## ${storeName}, ${mode}`);
  // A short unreported pass first, so no one is measured on a cold JIT.
  const warm = await prepareScenarios(targets, options.connections, 1);
  for (const scenario of warm.filter((s) => s.key.endsWith("typename") || s.key.endsWith(".me"))) await scenario.run();
  const rounds: Rounds = new Map();
  for (let round = 0; round < options.rounds; round += 1) {
    for (const scenario of scenarios) {
      const sample = await scenario.run();
      rounds.set(scenario.key, [...(rounds.get(scenario.key) ?? []), sample]);
    }
  }
  const rss = { ours: residentMb(ours.pid, "VmHWM"), "bare Apollo": residentMb(apollo.pid, "VmHWM"), Yoga: residentMb(yoga.pid, "VmHWM") };
  printReport(scenarios, rounds, rss);
  const problems = problemsOf(rounds, options.connections).map((p) => `${storeName}, ${mode}: ${p}`);
  await cleanup();
  return problems;
}

async function main(): Promise<void> {
  const options = readOptions();
  // Our server runs compiled, as `npm start` runs it.
  execFileSync("npm", ["run", "build"], { stdio: ["ignore", "ignore", "inherit"] });
  process.once("SIGINT", () => {
    void cleanup().finally(() => process.exit(130));
  });
  console.log(
    `node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? arch()}; ${options.connections} connections, ` +
      (options.soak ? `soak of ${options.durationSeconds} s` : `${options.durationSeconds} s per scenario, ${options.rounds} rounds`),
  );
  const problems: string[] = [];
  try {
    if (options.soak) {
      const [storeName = "sqlite"] = options.stores;
      const [mode = "production"] = options.modes;
      const store = await openStore(storeName);
      const ours = await start(startServer(store.url, mode));
      const scenarios: Scenario[] = await prepareScenarios(
        { ours, apollo: ours, yoga: ours, cookieName: COOKIE_NAMES[mode], peerSecret: "", postgresUrl: undefined },
        options.connections,
        options.durationSeconds,
      );
      problems.push(...(await soak(ours, scenarios, options.durationSeconds, options.connections)));
    } else {
      for (const storeName of options.stores)
        for (const mode of options.modes) problems.push(...(await benchmark(storeName, mode, options)));
    }
  } finally {
    await cleanup();
  }
  for (const problem of problems) console.log(problem);
  if (problems.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? `bench failed: ${error.message}` : "bench failed");
  process.exitCode = 1;
});
