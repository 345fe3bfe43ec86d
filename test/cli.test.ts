import { execFile, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOGIN, USERS } from "./support/graphql-client.js";
import { serverPerSuite } from "./support/server-fixture.js";
import { STORES, type TestStore } from "./support/stores.js";
import { startTestServer } from "./support/test-server.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PASSWORD = "a long and unusual passphrase";

interface Result {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The commands compiled once for this file (`npm run build`, then `node dist/cli/<script>.js`),
 * inside the repository (.tmp/ is git-ignored) so the compiled files find node_modules as dist/
 * does. Each run of a command through tsx costs about a second of CPU more than compiled, which
 * kept `npm test` over two minutes; one test per command runs it as `npm run` does, through tsx.
 */
const BUILD = join(ROOT, ".tmp", `cli-build-${process.pid}`);

beforeAll(async () => {
  await promisify(execFile)(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--outDir", BUILD], {
    cwd: ROOT,
  });
}, 120_000);
afterAll(() => rmSync(BUILD, { recursive: true, force: true }));

/** The command, compiled, or with `asNpmScript` as `npm run` starts it, from the repository, with only the environment given here. */
function run(
  script: "user-create" | "migrate",
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; asNpmScript?: boolean } = {},
) {
  const command = options.asNpmScript ? ["--import", "tsx", `src/cli/${script}.ts`] : [join(BUILD, "cli", `${script}.js`)];
  return new Promise<Result>((resolve, reject) => {
    const child = spawn(process.execPath, [...command, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

const lines = (text: string) => text.split("\n").filter((line) => line !== "");

let counter = 0;
function newIdentity(prefix = "cli") {
  counter += 1;
  const username = `${prefix}${process.pid}_${counter}`;
  return { username, email: `${username}@example.com` };
}

describe.each(STORES)("user:create on $name", (kind) => {
  const fixture = serverPerSuite(kind);

  const createUser = (args: readonly string[], options: { password?: string; input?: string; asNpmScript?: boolean } = {}) =>
    run("user-create", args, {
      env: { DATABASE_URL: fixture.store.url, ...(options.password === undefined ? {} : { USER_PASSWORD: options.password }) },
      ...(options.input === undefined ? {} : { input: options.input }),
      asNpmScript: options.asNpmScript ?? false,
    });

  async function login(username: string, password: string) {
    const client = fixture.server.client();
    const res = await client.request(LOGIN, { input: { username, password } });
    if (res.body.data?.login) client.accessToken = res.body.data.login.accessToken;
    return { client, res };
  }

  it("creates a user from USER_PASSWORD, prints one line naming its id, and the user can log in over the API (as npm run starts it)", async () => {
    const { username, email } = newIdentity();
    const result = await createUser(["--username", username, "--email", email], { password: PASSWORD, asNpmScript: true });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(lines(result.stdout)).toHaveLength(1);
    const id = /id ([0-9a-f-]{36})$/.exec(result.stdout.trim())?.[1];
    expect(id).toBeDefined();
    expect(result.stdout).not.toContain(PASSWORD);

    const { client, res } = await login(username, PASSWORD);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.login.user).toMatchObject({ id, username, email, roles: ["USER"] });
    // The operator vouches for the address: no verification mail is needed.
    expect((await client.request("query { me { emailVerified } }")).body.data).toEqual({ me: { emailVerified: true } });
  });

  it("reads the password from the first line of standard input, without its line ending", async () => {
    const { username, email } = newIdentity();
    const result = await createUser([`--username=${username}`, `--email=${email}`], { input: `${PASSWORD}\r\nsecond line\n` });
    expect(result.code).toBe(0);
    const { res } = await login(username, PASSWORD);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.login.user.username).toBe(username);
  });

  it("--role ADMIN gives USER and ADMIN, and the admin may list users", async () => {
    const { username, email } = newIdentity("admin");
    const result = await createUser(["--username", username, "--email", email, "--role", "ADMIN"], { password: PASSWORD });
    expect(result.code).toBe(0);
    const { client, res } = await login(username, PASSWORD);
    expect(res.body.data.login.user.roles).toEqual(["USER", "ADMIN"]);
    const users = await client.request(USERS, { limit: 100 });
    expect(users.body.errors).toBeUndefined();
    expect(users.body.data.users.map((u: { username: string }) => u.username)).toContain(username);
  });

  it("refuses a username or email already taken ignoring case: exit 1, one line, nothing created", async () => {
    const { username, email } = newIdentity("Taken");
    expect((await createUser(["--username", username, "--email", email], { password: PASSWORD })).code).toBe(0);

    const sameName = await createUser(["--username", username.toLowerCase(), "--email", `other.${email}`], { password: PASSWORD });
    expect(sameName.code).toBe(1);
    expect(sameName.stdout).toBe("");
    expect(lines(sameName.stderr)).toEqual([expect.stringMatching(/username is already taken/)]);

    const sameEmail = await createUser(["--username", `${username}x`, "--email", email.toUpperCase()], { password: PASSWORD });
    expect(sameEmail.code).toBe(1);
    expect(lines(sameEmail.stderr)).toEqual([expect.stringMatching(/email is already registered/)]);
    expect((await login(`${username}x`, PASSWORD)).res.body.errors?.[0]?.extensions?.reason).toBe("INVALID_CREDENTIALS");
  });

  it("refuses a bad email with exit 1 and one line naming --email", async () => {
    const { username } = newIdentity();
    const result = await createUser(["--username", username, "--email", "not-an-address"], { password: PASSWORD });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/email must be a valid address.*--email/)]);
  });

  it("never prints the password, even when refusing it", async () => {
    const secretish = "zebra-crossing-at-midnight-42";
    const result = await createUser(["--username", secretish, "--email", "zebra@example.com"], { password: secretish });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/password must not be the username or email/)]);
    expect(result.stderr).not.toContain(secretish);
  });

  it("refuses a missing password (no USER_PASSWORD, empty standard input) with exit 1", async () => {
    const { username, email } = newIdentity();
    const result = await createUser(["--username", username, "--email", email], { input: "" });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/missing password/)]);
  });
});

describe("user:create arguments", () => {
  it.concurrent.each([
    ["an unknown flag", ["--username", "someone", "--email", "s@example.com", "--admin"], /unknown argument "--admin"/],
    ["a positional word", ["someone"], /unknown argument "someone"/],
    ["a missing --email", ["--username", "someone"], /missing --email/],
    ["a flag without its value", ["--username", "someone", "--email"], /--email needs a value/],
    ["an unknown role", ["--username", "someone", "--email", "s@example.com", "--role", "ROOT"], /--role accepts USER or ADMIN/],
  ])("refuses %s with exit 1 and one line", async (_what, args, reason) => {
    const result = await run("user-create", args, { env: { USER_PASSWORD: PASSWORD, DATABASE_URL: "sqlite::memory:" } });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(reason)]);
  });
});

describe("--help", () => {
  it.concurrent.each(["user-create", "migrate"] as const)(
    "%s --help prints its usage on standard output and exits 0, touching no store",
    async (script) => {
      const dir = mkdtempSync(join(tmpdir(), "auth-cli-help-"));
      const databaseUrl = `sqlite:${join(dir, "untouched.db")}`;
      for (const flag of ["--help", "-h"]) {
        const result = await run(script, ["--username", "x", flag], { env: { DATABASE_URL: databaseUrl } });
        expect(result).toMatchObject({ code: 0, stderr: "" });
        expect(result.stdout).toMatch(/^usage: npm run /);
        expect(result.stdout).toContain(`node dist/cli/${script}.js`);
      }
      expect(existsSync(join(dir, "untouched.db"))).toBe(false);
    },
  );
});

describe.each(STORES)("migrate on $name", (kind) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await kind.create();
  });
  afterAll(async () => {
    await store?.drop();
  });

  it("applies the migrations to a fresh store, prints them, exits 0 (as npm run starts it); a second run has nothing to apply", async () => {
    const first = await run("migrate", [], { env: { DATABASE_URL: store.url }, asNpmScript: true });
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(lines(first.stdout)).toEqual([
      expect.stringMatching(
        /^applied 0001_users_sessions, 0002_auth_events, 0003_oidc_identities, 0004_mfa, 0005_mail_outbox, 0006_account_links, 0007_email_verification, 0008_credential_version, 0009_retention_indexes, 0010_live_sessions_index to /,
      ),
    ]);

    const second = await run("migrate", [], { env: { DATABASE_URL: store.url } });
    expect(second.code).toBe(0);
    expect(lines(second.stdout)).toEqual([expect.stringMatching(/^nothing to apply/)]);
  });

  it("leaves a store the server then starts on without migrating again", async () => {
    const server = await startTestServer({ databaseUrl: store.url });
    try {
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });
});

describe("migrate failures", () => {
  it("exits 1 with one line when the store cannot be reached, without the URL's password", async () => {
    const result = await run("migrate", [], { env: { DATABASE_URL: "postgres://postgres:hunter2-secret@127.0.0.1:1/none" } });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^migrate: .*ECONNREFUSED/)]);
    expect(result.stderr).not.toContain("hunter2-secret");
  });

  it("exits 1 with a line naming DATABASE_URL when it is not a store URL", async () => {
    const result = await run("migrate", [], { env: { DATABASE_URL: "mysql://db/auth" } });
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([expect.stringMatching(/^migrate: config error: DATABASE_URL: accepts/)]);
  });
});
