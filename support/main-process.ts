import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/**
 * `node --import tsx src/main.ts` from the repository root, the way `npm start` runs it. The
 * environment is built from scratch (PATH and HOME, then `env`), so a developer's shell settings
 * cannot leak in; the repository has no `.env` for the server to load unless one was made by hand.
 * Shared by the tests and the benchmark.
 */
export function spawnMain(env: Record<string, string>, stdio: StdioOptions): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio,
  });
}

/** SIGTERM, as an orchestrator would: the server drains and closes its store. SIGKILL if it has not gone in 10 s. */
export async function stopMain(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const force = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(force);
}
