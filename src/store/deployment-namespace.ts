import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { sqlitePath } from "./database.js";

/**
 * A short name for "the instances that share this store", derived from `DATABASE_URL` without its
 * password. Redis keys and pub/sub channels (and the PostgreSQL NOTIFY channel) carry it, so two
 * deployments sharing one Redis, or two schemas of one database, neither share attempt counts nor
 * hear each other's revocations, while every instance of one deployment does.
 */
export function deploymentNamespace(databaseUrl: string): string {
  return createHash("sha256").update(storeIdentity(databaseUrl)).digest("hex").slice(0, 16);
}

function storeIdentity(databaseUrl: string): string {
  const path = sqlitePath(databaseUrl);
  // A SQLite file is only shared by processes on one host.
  if (path !== undefined) return `sqlite:${hostname()}:${resolve(path)}`;
  const url = new URL(databaseUrl);
  // The user matters: PostgreSQL's default search_path starts with "$user". So do parameters such
  // as `options=-c search_path=…` or a socket `host`. Passwords do not, and must not leak into a
  // name other systems can read.
  const params = [...url.searchParams].filter(([key]) => !/pass/i.test(key)).sort(([a], [b]) => a.localeCompare(b));
  return `postgres:${url.username}@${url.hostname}:${url.port || "5432"}${url.pathname}?${new URLSearchParams(params)}`;
}
