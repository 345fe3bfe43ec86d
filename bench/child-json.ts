import { type ChildProcess, spawn } from "node:child_process";

/** The helper processes running now, so an interrupted run can end them with the servers. */
const running = new Set<ChildProcess>();

/**
 * Runs a bench script (`bench/load.ts`, `bench/raw-rates.ts`) in its own process, so it does not
 * share the server's event loop: the spec goes in as JSON on stdin (tokens never on the command
 * line, where `ps` would show them), the result comes back as the last JSON line on stdout.
 */
export function runJson<Spec, Result>(script: string, spec: Spec): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["pipe", "pipe", "inherit"] });
    running.add(child);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      running.delete(child);
      const last = out.trim().split("\n").at(-1);
      if (code !== 0 || last === undefined) reject(new Error(`${script} exited with code ${code}`));
      else resolve(JSON.parse(last) as Result);
    });
    child.stdin.end(JSON.stringify(spec));
  });
}

export function killHelpers(): void {
  for (const child of running) child.kill("SIGTERM");
}
