import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { spawnMain, stopMain } from "../support/main-process.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** How the processes run: as deployed, or as on a developer's machine. */
export type Mode = "production" | "development";

/** A server under test in its own process: ours (`src/main.ts`) or a peer under bench/peers/. */
export interface ServerProcess {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** A port the kernel just handed out on loopback; the server binds it a moment later. */
export async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  probe.close();
  if (address === null || typeof address === "string") throw new Error("could not read the probe's port");
  return address.port;
}

/** The refresh cookie's name in each mode (config.ts: `__Host-` in production). */
export const COOKIE_NAMES: Readonly<Record<Mode, string>> = { production: "__Host-refresh_token", development: "refresh_token" };

/**
 * Starts the project on 127.0.0.1 in `mode` with fresh secrets and limits raised far above what a
 * run sends, so the numbers measure the work and not the brute-force throttles. Logs stay at warn,
 * so no request line is written during a run. Metrics are on in both modes, as the issue asks
 * their cost to be measured. A port is chosen here and /readyz polled.
 */
export async function startServer(databaseUrl: string, mode: Mode): Promise<ServerProcess> {
  const port = await freePort();
  const env = {
    NODE_ENV: mode,
    // Production insists on SMTP; no mail is sent during a run (nobody signs up but the bench user,
    // whose verification mail fails against this closed port and stays in the outbox).
    ...(mode === "production" ? { SMTP_URL: "smtp://127.0.0.1:9" } : {}),
    // The default level, so the request log (a line per request) is inside what is measured. Its
    // lines go to /dev/null; a crash still reaches the terminal on stderr.
    LOG_LEVEL: "info",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    JWT_ISSUER: `http://127.0.0.1:${port}`,
    METRICS_ENABLED: "true",
    // Any origin: production warns at start when none is set, and no browser takes part here.
    CORS_ORIGINS: "http://127.0.0.1:5173",
    ACCESS_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    REFRESH_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    LOGIN_MAX_FAILURES: "1000",
    LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "1000000",
    SIGNUP_MAX_PER_IP_PER_HOUR: "1000000",
    REFRESH_MAX_PER_IP_PER_MINUTE: "1000000",
    LOGIN_MAX_PER_IP_PER_MINUTE: "1000000",
    // MAX_SESSIONS_PER_USER stays at its default (50): it is no throttle but part of each login's
    // work, which a raised cap would change (an account holding thousands of live sessions).
  };
  // Compiled, as `npm start` runs it (run.ts builds first): tsx in the process costs ~50 MB of RSS.
  return ready(port, spawnMain(env, ["ignore", "ignore", "inherit"], "built"), stopMain);
}

/** Starts a peer (`bench/peers/<name>.ts`) on 127.0.0.1, verifying tokens signed with `secret`. */
export async function startPeer(name: "apollo-peer" | "yoga-peer", mode: Mode, secret: string): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", `bench/peers/${name}.ts`], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", NODE_ENV: mode, PORT: String(port), PEER_SECRET: secret },
    stdio: ["ignore", "inherit", "inherit"],
  });
  return ready(port, child, stopMain);
}

async function ready(port: number, child: ChildProcess, stop: (child: ChildProcess) => Promise<void>): Promise<ServerProcess> {
  const url = `http://127.0.0.1:${port}`;
  const server = { url, pid: child.pid ?? 0, stop: () => stop(child) };
  try {
    await waitUntilReady(url, child);
  } catch (error) {
    await server.stop();
    throw error;
  }
  return server;
}

async function waitUntilReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before it was ready`);
    try {
      const res = await fetch(`${url}/readyz`);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error("server was not ready within 30 s");
}

/** A process's resident set in MB: its peak so far (`VmHWM`) or now (`VmRSS`), from /proc. */
export function residentMb(pid: number, which: "VmHWM" | "VmRSS"): number {
  try {
    const match = new RegExp(`^${which}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
