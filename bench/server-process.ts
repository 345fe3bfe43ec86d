import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

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
 * so the numbers measure the work and not the brute-force throttles.
 */
export async function startServer(databaseUrl: string): Promise<ServerProcess> {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH ?? "",
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
  // The environment is built from scratch so a developer's .env or shell settings cannot leak in;
  // the working directory has no .env to load unless one was made by hand.
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], { env, stdio: ["ignore", "inherit", "inherit"] });
  const url = `http://127.0.0.1:${port}`;
  const server = { url, stop: () => stopChild(child) };
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

/** SIGTERM lets the server drain and close its store; SIGKILL if it has not gone in 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
