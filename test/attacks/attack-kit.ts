import { randomUUID } from "node:crypto";
import { beforeAll, expect } from "vitest";
import { type GraphQLClient, type GraphQLResponse, ME, REFRESH } from "../support/graphql-client.js";
import { partsOf } from "../support/jwt.js";
import { type ServerFixture, serverPerSuite } from "../support/server-fixture.js";
import type { StoreKind } from "../support/stores.js";
import { PRODUCTION_ENV } from "../support/test-config.js";
import { signUpUser, type TestServer, type TestServerOptions } from "../support/test-server.js";

/**
 * Tools for the attack suite: claims and victims for tokens crafted byte by byte (the crafting
 * itself is test/support/jwt.ts), and the checks every refused attack must pass.
 */

export const ISSUER = "https://auth.attack.test";
export const AUDIENCE = "attack-test-api";
/**
 * Settings every attack server shares: production mode, as an attacker would meet it (no stack
 * traces, no introspection, no development origins), and a known issuer and audience.
 */
export const ATTACK_ENV = { ...PRODUCTION_ENV, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE } as const;

/** Claims shaped like the API's own, for the given user and session. */
export function claimsFor(victim: { sub: string; sid: string }, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    sub: victim.sub,
    sid: victim.sid,
    roles: ["USER"],
    username: "victim",
    email: "victim@example.com",
    iat: now,
    exp: now + 300,
    iss: ISSUER,
    aud: AUDIENCE,
    jti: randomUUID(),
    ...overrides,
  };
}

const LEAK_MARKERS = [
  /\bat [\w.<>]+ \(/, // a stack frame
  /node_modules/,
  /\.ts:\d+/,
  /stacktrace/i,
  /\bselect\b.*\bfrom\b/i,
  /\binsert into\b/i,
  /sqlite/i,
  /postgres|relation "|syntax error at or near/i,
  /kysely|better-sqlite3/i,
  /<html|<!doctype/i,
];

/** No stack trace, no SQL, no driver name, no HTML in what the client sees (OWASP ASVS 16.5.1). */
export function expectNoLeak(text: string): void {
  for (const marker of LEAK_MARKERS) expect(text, `response leaks ${marker}`).not.toMatch(marker);
}

/** A refused request: a 4xx (or a 200 carrying a GraphQL error), JSON of the error shape, no leak. */
export async function expectRefusedOverHttp(response: Response): Promise<{ status: number; code: string; body: any }> {
  const text = await response.text();
  expect(response.status, text.slice(0, 200)).toBeLessThan(500);
  expect(response.headers.get("content-type") ?? "").toMatch(/^application\/(graphql-response\+)?json/);
  expectNoLeak(text);
  const body = JSON.parse(text);
  expect(body.errors?.[0]?.message).toEqual(expect.any(String));
  expect(body.errors?.[0]?.extensions?.code).toEqual(expect.any(String));
  return { status: response.status, code: body.errors[0].extensions.code, body };
}

/** The same checks for a response read by the GraphQL client. */
export function expectRefused(response: GraphQLResponse): { code?: string; reason?: string } {
  expect(response.status).toBeLessThan(500);
  expectNoLeak(JSON.stringify(response.body));
  const error = response.body.errors?.[0];
  expect(error?.extensions?.code, JSON.stringify(response.body).slice(0, 300)).toEqual(expect.any(String));
  return { code: error?.extensions?.code, reason: error?.extensions?.reason };
}

/** A signed-up user whose session the attacks aim at. */
export interface Victim {
  readonly client: GraphQLClient;
  readonly sub: string;
  readonly sid: string;
  readonly username: string;
  readonly password: string;
}

export async function newVictim(server: TestServer): Promise<Victim> {
  const client = server.client();
  const { username, password, user } = await signUpUser(client);
  const sid = String(partsOf(client.accessToken as string).payload.sid);
  return { client, sub: user.id, sid, username, password };
}

/** The server an attack suite aims at, and the victim signed up on it before the suite's tests. */
export interface AttackTarget extends ServerFixture {
  readonly victim: Victim;
}

/**
 * A fresh store and a server on it in production mode (`ATTACK_ENV`, extended by `options.env`)
 * for the enclosing `describe`, with a victim signed up before its tests. Read the fields inside
 * tests, not at collection.
 */
export function targetPerSuite(kind: StoreKind, options: TestServerOptions = {}): AttackTarget {
  const fixture = serverPerSuite(kind, { ...options, env: { ...ATTACK_ENV, ...options.env } });
  let victim: Victim | undefined;
  beforeAll(async () => {
    victim = await newVictim(fixture.server);
  });
  return {
    get store() {
      return fixture.store;
    },
    get server() {
      return fixture.server;
    },
    get cookieName() {
      return fixture.cookieName;
    },
    get victim() {
      if (victim === undefined) throw new Error("the suite's victim is not signed up yet");
      return victim;
    },
  };
}

/**
 * The victim's session survived: its access token still reads `me` and its refresh cookie still
 * rotates (the jar then holds the successor, so this can be called after every attack).
 */
export async function expectSessionIntact(victim: Victim): Promise<void> {
  const me = await victim.client.request(ME);
  expect(me.body.errors, "victim's access token stopped working").toBeUndefined();
  const refreshed = await victim.client.request(REFRESH);
  expect(refreshed.body.errors, "victim's refresh cookie stopped working").toBeUndefined();
  victim.client.accessToken = refreshed.body.data.refreshToken.accessToken;
}

/** Rows in each table: unchanged counts show that a refused request reached no resolver. */
export async function storeCounts(server: TestServer): Promise<{ users: number; sessions: number; events: number }> {
  const { db } = server.app.store;
  const count = async (table: "users" | "sessions" | "auth_events") =>
    Number((await db.selectFrom(table).select(db.fn.countAll().as("n")).executeTakeFirstOrThrow()).n);
  return { users: await count("users"), sessions: await count("sessions"), events: await count("auth_events") };
}

/** POSTs a raw body to /graphql, exactly as given. */
export function postRaw(
  server: TestServer,
  body: NonNullable<RequestInit["body"]>,
  headers: Record<string, string> = { "content-type": "application/json" },
) {
  return fetch(`${server.url}/graphql`, { method: "POST", headers, body });
}
