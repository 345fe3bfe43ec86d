import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expect, it } from "vitest";
import { ME } from "./support/graphql-client.js";
import { spawnServer } from "./support/server-process.js";
import { signUpUser } from "./support/test-server.js";

const IMPORT_LOG_HOOK = pathToFileURL(join(import.meta.dirname, "support", "import-log.mjs")).href;

/**
 * Issue 8: peak RSS follows the live heap, so what an instance does not use it must not load.
 * A single instance on SQLite, signing users up and serving `me`, holds no PostgreSQL or Redis
 * driver, no OpenID client and no QR encoder.
 */
it("a single SQLite instance never imports pg, ioredis, openid-client or qrcode, and does import its own store", async () => {
  const dir = mkdtempSync(join(tmpdir(), "lazy-imports-"));
  const log = join(dir, "imports.log");
  const server = await spawnServer({
    DATABASE_URL: `sqlite:${join(dir, "auth.db")}`,
    NODE_OPTIONS: `--import ${IMPORT_LOG_HOOK}`,
    IMPORT_LOG: log,
  });
  try {
    const client = server.client();
    await signUpUser(client);
    const me = await client.request(ME);
    expect(me.body.errors).toBeUndefined();
  } finally {
    await server.stop();
  }
  const imported = new Set(readFileSync(log, "utf8").split("\n"));
  // The hook works: the store this instance uses was imported.
  expect(imported.has("better-sqlite3")).toBe(true);
  expect(["pg", "ioredis", "openid-client", "qrcode"].filter((name) => imported.has(name))).toEqual([]);
});
