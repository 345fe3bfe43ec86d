import { once } from "node:events";
import { spawnMain, stopMain } from "../../support/main-process.js";
import { GraphQLClient } from "./graphql-client.js";
import { TEST_ENV } from "./test-config.js";

const STARTUP_LIMIT_MS = 30_000;

export interface ServerProcess {
  readonly url: string;
  client(): GraphQLClient;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** The exit code or signal, once the process has ended; null while it runs. */
  exited(): number | string | null;
  /** SIGTERM, as an orchestrator would; waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL: no drain, no goodbye, as a crash or an OOM kill; waits for the exit. */
  kill(): Promise<void>;
}

/**
 * The server (`src/main.ts`) as its own process with the test environment, on 127.0.0.1 and a
 * port the OS picks (read back from the "serving" log line, hence LOG_LEVEL info).
 */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawnMain({ ...TEST_ENV, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env }, ["ignore", "pipe", "pipe"]);
  let output = "";
  let started = false;
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within ${STARTUP_LIMIT_MS} ms:\n${output}`)), STARTUP_LIMIT_MS);
    const read = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      if (started) return;
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
  return {
    url,
    client: () => new GraphQLClient(url),
    output: () => output,
    exited: () => child.exitCode ?? child.signalCode,
    stop: () => stopMain(child),
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
    },
  };
}
