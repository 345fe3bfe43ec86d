import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** How the server runs: its TypeScript sources through tsx (tests), or `dist/` as `npm start` runs it. */
export type Entry = "sources" | "built";

const ENTRY_ARGS: Record<Entry, string[]> = { sources: ["--import", "tsx", "src/main.ts"], built: ["dist/main.js"] };

/**
 * The server from the repository root: its sources through tsx (`npm run start:dev`), or the
 * compiled `dist/main.js` (`npm start`, which builds first; the caller builds for "built"). The
 * environment is built from scratch (PATH and HOME, then `env`), so a developer's shell settings
 * cannot leak in; the repository has no `.env` for the server to load unless one was made by hand.
 * Shared by the tests and the benchmark.
 */
export function spawnMain(env: Record<string, string>, stdio: StdioOptions, entry: Entry = "sources"): ChildProcess {
  return spawn(process.execPath, ENTRY_ARGS[entry], {
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
