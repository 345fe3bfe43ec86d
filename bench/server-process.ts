import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { spawnMain, stopMain } from "../support/main-process.js";

/** The real server (`src/main.ts`) running in its own process, as `npm start` runs it. */
export interface ServerProcess {
  readonly url: string;
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

/**
 * Starts the server on 127.0.0.1 with fresh secrets and limits raised far above what a run sends,
 * so the numbers measure the work and not the brute-force throttles. Logs stay at warn, so no
 * request line is written during a run; the "serving" line with the port is not written either,
 * hence a port chosen here and /readyz polled, where the tests read the port from that line.
 */
export async function startServer(databaseUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  const env = {
    NODE_ENV: "test",
    LOG_LEVEL: "warn",
    HOST: "127.0.0.1",
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    ACCESS_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    REFRESH_TOKEN_SECRET: randomBytes(32).toString("base64url"),
    LOGIN_MAX_FAILURES: "1000",
    LOGIN_MAX_FAILURES_PER_IP_PER_DAY: "1000000",
    SIGNUP_MAX_PER_IP_PER_HOUR: "1000000",
    REFRESH_MAX_PER_IP_PER_MINUTE: "1000000",
  };
  const child = spawnMain(env, ["ignore", "inherit", "inherit"]);
  const url = `http://127.0.0.1:${port}`;
  const server = { url, stop: () => stopMain(child) };
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
