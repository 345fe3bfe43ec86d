import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { GraphQLClient } from "./graphql-client.js";
import { TEST_ACCESS_SECRET, TEST_REFRESH_SECRET } from "./test-config.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const STARTUP_LIMIT_MS = 30_000;

export interface ServerProcess {
  readonly url: string;
  client(): GraphQLClient;
  /** SIGTERM, as an orchestrator would; waits for the exit. */
  stop(): Promise<void>;
}

/**
 * `node --import tsx src/main.ts` as its own process, the way `npm start` runs it, on 127.0.0.1
 * and a port the OS picks (read back from the "serving" log line).
 */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "test",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      ACCESS_TOKEN_SECRET: TEST_ACCESS_SECRET,
      REFRESH_TOKEN_SECRET: TEST_REFRESH_SECRET,
      LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "100000",
      SIGNUP_MAX_PER_IP_PER_HOUR: "100000",
      REFRESH_MAX_PER_IP_PER_MINUTE: "100000",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let started = false;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${STARTUP_LIMIT_MS} ms:\n${output}`)), STARTUP_LIMIT_MS);
    const read = (chunk: Buffer) => {
      // Keep draining the pipes after start-up, but only the start-up output is kept.
      if (started) return;
      output += chunk.toString("utf8");
      const served = /serving http:\/\/[^:/]+:(\d+)\//.exec(output);
      if (served) {
        started = true;
        clearTimeout(timer);
        resolve(Number(served[1]));
      }
    };
    child.stdout?.on("data", read);
    child.stderr?.on("data", read);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before serving:\n${output}`));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  return { url, client: () => new GraphQLClient(url), stop: () => terminate(child) };
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(force);
}
