import { type Compilable, type Kysely, sql } from "kysely";
import { beforeAll, describe, expect, it } from "vitest";
import { endSessionsBeyond, endSessionsOf, type SessionRepository } from "../src/auth/session-repository.js";
import type { Store } from "../src/store/database.js";
import type { Database } from "../src/store/tables.js";
import { sessionStorePerSuite } from "./support/session-store-fixture.js";
import { sessionRow } from "./support/store-rows.js";
import { STORES } from "./support/stores.js";

const NOW = Date.UTC(2026, 11, 4);
const HOUR = 3_600_000;
const USER = "cap-user";

/** The members of a node of `explain (format json)` that these tests read. */
interface PlanNode {
  readonly "Node Type": string;
  readonly "Parent Relationship"?: string;
  readonly "Sort Key"?: string[];
  readonly "Actual Loops"?: number;
  readonly Plans?: PlanNode[];
}

/** Every node of a PostgreSQL plan, the root first. */
function planNodes(node: PlanNode): PlanNode[] {
  return [node, ...(node.Plans ?? []).flatMap(planNodes)];
}

/** `statement`'s SQL with its parameters written in: EXPLAIN takes no bound parameters here. */
function withLiterals(statement: Compilable): string {
  const { sql: text, parameters } = statement.compile();
  let index = 0;
  // Each placeholder (`?` on SQLite, `$n` on PostgreSQL) is used once, in order.
  return text.replace(/\?|\$\d+/g, () => {
    const value = parameters[index++];
    return typeof value === "number" ? String(value) : `'${String(value)}'`;
  });
}

/** `statement`'s PostgreSQL plan; with `analyze` it runs, inside a transaction rolled back. */
async function postgresPlan(store: Store, statement: Compilable, analyze: boolean): Promise<PlanNode> {
  const explain = `explain (format json${analyze ? ", analyze" : ""}) ${withLiterals(statement)}`;
  const run = (db: Kysely<Database>) => sql.raw<{ "QUERY PLAN": [{ Plan: PlanNode }] }>(explain).execute(db);
  let result: Awaited<ReturnType<typeof run>> | undefined;
  const rolledBack = new Error("rolled back");
  await store.db
    .transaction()
    .execute(async (trx) => {
      result = await run(trx);
      throw rolledBack;
    })
    .catch((error: unknown) => {
      if (error !== rolledBack) throw error;
    });
  const plan = result?.rows[0]?.["QUERY PLAN"][0].Plan;
  if (plan === undefined) throw new Error("no plan");
  return plan;
}

/**
 * The per-account session cap runs at every login. It must pick the right sessions among live,
 * ended and expired ones, and reach them through sessions_live_idx: sorting every row the account
 * ever had cost 0.6 ms per login for an account with 5,000 ended sessions (issue 8). It and the
 * statement that ends all of an account's sessions lock what they end in one order, so neither
 * deadlocks against the other or itself on PostgreSQL.
 */
describe.each(STORES)("the statements that end several sessions at once, on $name", (kind) => {
  const suite = sessionStorePerSuite(kind, USER, NOW - 100 * HOUR);
  let store: Store;
  let sessions: SessionRepository;
  beforeAll(() => {
    ({ store, sessions } = suite);
  });

  /** A session made 50 hours before NOW and last used `hoursAgo` hours before it. */
  const insert = (id: string, hoursAgo: number, state: "live" | "revoked" | "expired" = "live") => {
    const row = sessionRow(id, USER, NOW - 50 * HOUR, {
      last_used_at: NOW - hoursAgo * HOUR,
      expires_at: state === "expired" ? NOW - 1 : NOW + HOUR,
      ...(state === "revoked" ? { revoked_at: NOW - HOUR, revoked_reason: "logout" } : {}),
    });
    return store.db.insertInto("sessions").values(row).execute();
  };

  it("ends exactly the live sessions past the most recently used `keep`, never an ended or expired one", async () => {
    // "a" was used an hour ago, "e" five.
    for (const [index, id] of ["a", "b", "c", "d", "e"].entries()) await insert(id, index + 1);
    // More recently used than every live one: they would take the kept places if counted.
    await insert("ended", 0, "revoked");
    await insert("expired", 0, "expired");

    expect((await sessions.revokeLeastRecentlyUsed(USER, 3, NOW)).sort()).toEqual(["d", "e"]);
    expect(await sessions.revokeLeastRecentlyUsed(USER, 3, NOW)).toEqual([]);
    const live = await store.db.selectFrom("sessions").select("id").where("revoked_at", "is", null).orderBy("id").execute();
    expect(live.map((row) => row.id)).toEqual(["a", "b", "c", "expired"]);
  });

  it("ends nothing while the account is within the cap", async () => {
    await insert("a", 1);
    await insert("b", 2);
    expect(await sessions.revokeLeastRecentlyUsed(USER, 2, NOW)).toEqual([]);
  });

  it("reads the live sessions in order from sessions_live_idx, with no sort of the account's rows", async () => {
    const bound = withLiterals(endSessionsBeyond(store.db, store.dialect, NOW, USER, NOW, 50));
    if (store.dialect === "sqlite") {
      const plan = await sql.raw<{ detail: string }>(`explain query plan ${bound}`).execute(store.db);
      const details = plan.rows.map((row) => row.detail).join(" | ");
      expect(details).toContain("sessions_live_idx");
      expect(details).not.toContain("TEMP B-TREE");
      return;
    }
    // PostgreSQL would scan a table this small whole; forbid that to see which index it would take.
    await store.db.connection().execute(async (db) => {
      await sql`set enable_seqscan = off`.execute(db);
      const plan = await sql.raw<{ "QUERY PLAN": string }>(`explain ${bound}`).execute(db);
      await sql`reset enable_seqscan`.execute(db);
      const lines = plan.rows.map((row) => row["QUERY PLAN"]).join("\n");
      expect(lines).toContain("sessions_live_idx");
      // The one sort is of the surplus by id, for the locks' order (see endSessionsBeyond).
      expect(lines).not.toMatch(/Sort Key: .*(last_used_at|created_at)/);
    });
  });

  it("locks the sessions it ends in id order first on PostgreSQL, so concurrent statements cannot deadlock (40P01)", async () => {
    if (store.dialect !== "postgres") return;
    for (const statement of [
      endSessionsBeyond(store.db, store.dialect, NOW, USER, NOW, 50),
      endSessionsOf(store.db, store.dialect, NOW, "password_changed", USER, "kept"),
    ]) {
      const plan = await postgresPlan(store, statement, false);
      // LockRows takes the rows in the order of the plan right under it, which must sort them by id.
      const lockRows = planNodes(plan).find((node) => node["Node Type"] === "LockRows");
      expect(lockRows, JSON.stringify(plan)).toBeDefined();
      const input = lockRows?.Plans?.find((child) => child["Parent Relationship"] === "Outer");
      expect(input?.["Node Type"], JSON.stringify(plan)).toBe("Sort");
      expect(input?.["Sort Key"], JSON.stringify(plan)).toEqual([expect.stringMatching(/^\w+\.id$/)]);
    }
  });

  it("computes the cap's surplus once, not once per live session of the account", async () => {
    if (store.dialect !== "postgres") return;
    for (let i = 0; i < 60; i++) await insert(`s${String(i).padStart(2, "0")}`, i);
    const plan = await postgresPlan(store, endSessionsBeyond(store.db, store.dialect, NOW, USER, NOW, 50), true);
    // The surplus is the one LIMIT/OFFSET. Planned as `id in (…)`, it ran under a nested loop,
    // once for each of the 60 live sessions.
    const surplus = planNodes(plan).filter((node) => node["Node Type"] === "Limit");
    expect(
      surplus.map((node) => node["Actual Loops"]),
      JSON.stringify(plan),
    ).toEqual([1]);
  });

  it("ends every live session of the account but the one kept, whichever way it is asked", async () => {
    await insert("a", 1);
    await insert("kept", 2);
    await insert("ended", 0, "revoked");
    await insert("expired", 0, "expired");
    expect(await sessions.revokeAllForUser(USER, NOW, "password_changed", "kept")).toEqual(["a"]);
    expect((await sessions.revokeAllForUser(USER, NOW, "logout_all")).sort()).toEqual(["kept"]);
  });

  it("keeps the cap when many logins of one account apply it at once", async () => {
    // 30 logins at a time through the pool, each inserting its session and then applying a cap of 5.
    const keep = 5;
    let made = 0;
    const login = async () => {
      const id = `s${String(made++).padStart(4, "0")}`;
      await insert(id, 0);
      return sessions.revokeLeastRecentlyUsed(USER, keep, NOW);
    };
    for (let wave = 0; wave < 10; wave++) await Promise.all(Array.from({ length: 30 }, login));
    const live = await store.db.selectFrom("sessions").select("id").where("revoked_at", "is", null).execute();
    expect(live.length).toBeLessThanOrEqual(keep);
  }, 30_000);
});
