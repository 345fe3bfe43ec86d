import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EXAMPLE_SECRETS } from "../src/config.js";
import { GraphQLClient, ME, SIGN_UP } from "./support/graphql-client.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const MAIN = join(ROOT, "src/main.ts");
// `--import tsx` resolves from the working directory, which here is a bare temporary folder.
const TSX = pathToFileURL(
  join(ROOT, "node_modules/tsx", JSON.parse(readFileSync(join(ROOT, "node_modules/tsx/package.json"), "utf8")).exports["."]),
);
const LIMIT_MS = 30_000;

const lines = (text: string) => text.split("\n").filter((line) => line !== "");
const freshDir = () => mkdtempSync(join(tmpdir(), "auth-start-"));

interface Run {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exit: Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** The server as a user starts it (`npm run start:dev`; `npm start` runs the same code compiled), from `cwd`, with only `env` set. */
function launch(cwd: string, env: Record<string, string>): Run {
  const child = spawn(process.execPath, ["--import", TSX.href, MAIN], {
    cwd,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  const run: Run = {
    child,
    stdout: "",
    stderr: "",
    exit: once(child, "exit").then(([code]) => {
      running.delete(child);
      return code as number | null;
    }),
  };
  child.stdout?.on("data", (chunk: Buffer) => {
    run.stdout += chunk.toString("utf8");
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    run.stderr += chunk.toString("utf8");
  });
  return run;
}

/** Waits for the "serving" line and returns the URL it names, the port actually bound. */
async function served(run: Run): Promise<string> {
  const deadline = Date.now() + LIMIT_MS;
  let exited = false;
  void run.exit.then(() => {
    exited = true;
  });
  for (;;) {
    const match = /"msg":"serving (http:\/\/localhost:(\d+)\/graphql)"/.exec(run.stdout);
    if (match) return `http://127.0.0.1:${match[2]}`;
    if (exited || Date.now() > deadline) throw new Error(`server did not start:\n${run.stdout}\n${run.stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A start that is expected to be refused: its exit code and output. */
async function refused(cwd: string, env: Record<string, string>) {
  const run = launch(cwd, env);
  const timer = setTimeout(() => run.child.kill("SIGKILL"), LIMIT_MS);
  const code = await run.exit;
  clearTimeout(timer);
  return { code, stdout: run.stdout, stderr: run.stderr };
}

afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

describe("npm start in a fresh working directory, with no .env and no other service", () => {
  const cwd = freshDir();
  const secretsFile = join(cwd, "data/dev-secrets.json");
  const user = { username: `starter${process.pid}`, email: `starter${process.pid}@example.com`, password: "a long and unusual passphrase" };
  let firstSecrets = "";
  let accessToken = "";

  it("serves GraphQL on ./data/auth.db, answers /healthz and /readyz, warns once about generated secrets, exits 0 on SIGTERM", async () => {
    const run = launch(cwd, {});
    const url = await served(run);

    expect(lines(run.stderr)).toEqual([expect.stringMatching(/^warning: generated development secrets in .*data\/dev-secrets\.json/)]);
    expect(existsSync(join(cwd, "data/auth.db"))).toBe(true);
    firstSecrets = readFileSync(secretsFile, "utf8");

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok" });
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const client = new GraphQLClient(url);
    const res = await client.request(SIGN_UP, { input: user });
    expect(res.body.errors).toBeUndefined();
    accessToken = res.body.data.signUp.accessToken;

    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
    expect(lines(run.stderr)).toHaveLength(1);
  });

  it("reuses the generated secrets on the next start: no warning, same file, earlier tokens still verify", async () => {
    const run = launch(cwd, {});
    const url = await served(run);
    expect(run.stderr).toBe("");
    expect(readFileSync(secretsFile, "utf8")).toBe(firstSecrets);

    const client = new GraphQLClient(url);
    client.accessToken = accessToken;
    const me = await client.request(ME);
    expect(me.body.errors).toBeUndefined();
    expect(me.body.data.me.username).toBe(user.username);

    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
  });
});

describe("a start with settings that load but look wrong", () => {
  it("serves, and logs one warning per problem: a misspelt setting, a cross-site origin with a Lax cookie (regression: silently ignored)", async () => {
    const run = launch(freshDir(), { CORS_ORIGIN: "http://127.0.0.1:5173", CORS_ORIGINS: "http://127.0.0.1:5173" });
    await served(run);
    run.child.kill("SIGTERM");
    expect(await run.exit).toBe(0);
    const warnings = lines(run.stdout)
      .map((line) => JSON.parse(line) as { level: number; msg: string })
      .filter((entry) => entry.level === 40)
      .map((entry) => entry.msg);
    expect(warnings).toEqual([
      "CORS_ORIGIN is not a setting and is ignored; did you mean CORS_ORIGINS?",
      expect.stringMatching(/^CORS_ORIGINS: http:\/\/127\.0\.0\.1:5173 is on another site than the API \(http:\/\/localhost:4000\)/),
    ]);
  });
});

describe("a start that must be refused exits 1 with one line per problem", () => {
  // Set, so that only the secrets are missing; their own refusals are in attacks/unsafe-deployment.
  const production = {
    NODE_ENV: "production",
    JWT_ISSUER: "https://auth.example.com",
    DATABASE_URL: "sqlite:./data/auth.db",
    SMTP_URL: "smtp://mail.example.test:587",
  };

  /** A folder holding a valid pair of development secrets, which production must never use. */
  function dirWithDevSecrets(): string {
    const cwd = freshDir();
    mkdirSync(join(cwd, "data"));
    const pair = { ACCESS_TOKEN_SECRET: "d".repeat(43), REFRESH_TOKEN_SECRET: "e".repeat(43) };
    writeFileSync(join(cwd, "data/dev-secrets.json"), JSON.stringify(pair));
    return cwd;
  }

  it("production without secrets, even with ./data/dev-secrets.json present", async () => {
    const cwd = dirWithDevSecrets();
    const result = await refused(cwd, production);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^config error: ACCESS_TOKEN_SECRET: missing/),
      expect.stringMatching(/^config error: REFRESH_TOKEN_SECRET: missing/),
    ]);
    expect(result.stdout).toBe("");
    expect(existsSync(join(cwd, "data/auth.db"))).toBe(false);
  });

  it("production with secrets shorter than 32 bytes, without printing them", async () => {
    const result = await refused(freshDir(), { ...production, ACCESS_TOKEN_SECRET: "short-one", REFRESH_TOKEN_SECRET: "short-two" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^config error: ACCESS_TOKEN_SECRET: shorter than 32 bytes/),
      expect.stringMatching(/^config error: REFRESH_TOKEN_SECRET: shorter than 32 bytes/),
    ]);
    expect(result.stderr).not.toMatch(/short-one|short-two/);
  });

  it("production with the .env.example secrets", async () => {
    const result = await refused(freshDir(), { ...production, ...EXAMPLE_SECRETS });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      expect.stringMatching(/^config error: ACCESS_TOKEN_SECRET: still the example value/),
      expect.stringMatching(/^config error: REFRESH_TOKEN_SECRET: still the example value/),
    ]);
  });

  it("ACCESS_TOKEN_TTL=banana, naming the variable and what it accepts, and writing nothing", async () => {
    const cwd = freshDir();
    const result = await refused(cwd, { ACCESS_TOKEN_TTL: "banana" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^config error: ACCESS_TOKEN_TTL: accepts a duration/)]);
    expect(existsSync(join(cwd, "data"))).toBe(false);
  });

  it("an unreadable private key, found while the signing keys are built, as a config line", async () => {
    const result = await refused(freshDir(), { JWT_ALGORITHM: "ES256", JWT_PRIVATE_KEY: "not a pem" });
    expect(result.code).toBe(1);
    // The refresh secret was generated before the key was read; only the problem line matters here.
    expect(lines(result.stderr).filter((line) => !line.startsWith("warning:"))).toEqual([
      expect.stringMatching(/^config error: JWT_PRIVATE_KEY: /),
    ]);
  });

  it("a port already in use, in one line instead of a crash with a stack trace", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = blocker.address() as { port: number };
      const result = await refused(freshDir(), { PORT: String(port) });
      expect(result.code).toBe(1);
      expect(lines(result.stderr).filter((line) => !line.startsWith("warning:"))).toEqual([
        expect.stringMatching(/^startup failed: listen EADDRINUSE/),
      ]);
    } finally {
      blocker.close();
    }
  });
});
