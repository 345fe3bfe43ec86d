import { beforeAll, describe, expect, it, vi } from "vitest";
import type { SessionRepository } from "../src/auth/session-repository.js";
import type { Store } from "../src/store/database.js";
import { sessionStorePerSuite } from "./support/session-store-fixture.js";
import { sessionRow } from "./support/store-rows.js";
import { SQLITE, STORES } from "./support/stores.js";

const NOW = Date.UTC(2026, 11, 5);
const USER = "advance-user";
type SessionOverrides = Parameters<typeof sessionRow>[3];

const insertSession = (store: Store, id: string, overrides: SessionOverrides = {}) =>
  store.db
    .insertInto("sessions")
    .values(sessionRow(id, USER, NOW, overrides))
    .execute();

/** Each session's generation, by id. */
async function generationsIn(store: Store): Promise<Record<string, number>> {
  const rows = await store.db.selectFrom("sessions").select(["id", "generation"]).orderBy("id").execute();
  return Object.fromEntries(rows.map((row) => [row.id, row.generation]));
}

const change = { expiresAt: NOW + 60_000, parentValidUntil: NOW + 10_000, userAgent: "test", ipAddress: "127.0.0.1" };

/**
 * The compare-and-set every refresh makes (session-repository.ts). On SQLite those of one turn of
 * the event loop share one write transaction (issue 8): each must still answer for itself, and
 * two for the same generation must still let exactly one through.
 */
describe.each(STORES)("a session's compare-and-set on $name", (kind) => {
  const suite = sessionStorePerSuite(kind, USER, NOW);
  let store: Store;
  let sessions: SessionRepository;
  beforeAll(() => {
    ({ store, sessions } = suite);
  });

  const insert = (id: string, overrides: SessionOverrides = {}) => insertSession(store, id, overrides);
  const generations = () => generationsIn(store);

  it("answers each of a turn's compare-and-sets for itself: one per generation wins, an ended session never moves", async () => {
    for (const id of ["a", "b", "c"]) await insert(id);
    await insert("ended", { revoked_at: NOW - 1, revoked_reason: "logout" });
    await insert("stale", { generation: 3 });

    const results = await Promise.all([
      sessions.advance("a", 0, NOW, change),
      sessions.advance("b", 0, NOW, change),
      // A second tab presenting the same token in the same turn: the first request took it.
      sessions.advance("a", 0, NOW, change),
      sessions.advance("ended", 0, NOW, change),
      sessions.advance("stale", 2, NOW, change),
      sessions.advance("c", 0, NOW, change),
      // "a" is at generation 1 once the first compare-and-set has run.
      sessions.advance("a", 1, NOW, change),
    ]);

    expect(results).toEqual([true, true, false, false, false, true, true]);
    expect(await generations()).toEqual({ a: 2, b: 1, c: 1, ended: 0, stale: 3 });
  });

  it("fails every compare-and-set of a failed write and changes none of them; the next turn's go through", async () => {
    for (const id of ["a", "b"]) await insert(id);
    await store.db.updateTable("users").set({ credential_version: 1 }).where("id", "=", USER).execute();
    // A session from before the password change never moves on: no error, just no match.
    expect(await sessions.advance("a", 0, NOW, change)).toBe(false);
    await store.db.updateTable("users").set({ credential_version: 0 }).where("id", "=", USER).execute();

    // A NOT NULL column set to NULL makes the store refuse the statement.
    const refused = await Promise.allSettled([
      sessions.advance("a", 0, NOW, change),
      sessions.advance("b", 0, NOW, { ...change, expiresAt: null as unknown as number }),
    ]);
    if (kind.name === "sqlite") {
      // One transaction: the store's refusal of one fails the whole turn, and nothing moved.
      expect(refused.map((result) => result.status)).toEqual(["rejected", "rejected"]);
      expect(await generations()).toEqual({ a: 0, b: 0 });
    } else {
      expect(refused.map((result) => result.status)).toEqual(["fulfilled", "rejected"]);
      expect(await generations()).toEqual({ a: 1, b: 0 });
    }
    expect(await sessions.advance("b", 0, NOW, change)).toBe(true);
  });
});

describe("the compare-and-sets of one turn on SQLite", () => {
  const suite = sessionStorePerSuite(SQLITE, USER, NOW);

  it("go in one transaction, and those of the next turn in another", async () => {
    const { store, sessions } = suite;
    const ids = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    for (const id of ids) await insertSession(store, id);
    const transactions = vi.spyOn(store.db, "transaction");
    try {
      expect(await Promise.all(ids.map((id) => sessions.advance(id, 0, NOW, change)))).toEqual(ids.map(() => true));
      expect(transactions).toHaveBeenCalledTimes(1);
      expect(await sessions.advance("s00", 1, NOW, change)).toBe(true);
      expect(transactions).toHaveBeenCalledTimes(2);
    } finally {
      transactions.mockRestore();
    }
    expect(Object.values(await generationsIn(store))).toEqual([2, ...ids.slice(1).map(() => 1)]);
  });
});
