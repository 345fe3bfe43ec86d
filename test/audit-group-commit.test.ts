import type { Kysely } from "kysely";
import { describe, expect, it } from "vitest";
import { systemClock } from "../src/clock.js";
import { type AuthEvent, AuthEvents } from "../src/events/auth-events.js";
import { OutageLog } from "../src/faults/outage-log.js";
import { createLogger } from "../src/logger.js";
import { openStore } from "../src/store/database.js";
import { GroupCommit } from "../src/store/group-commit.js";
import { migrateToLatest } from "../src/store/migrations.js";
import type { Database } from "../src/store/tables.js";
import { migratedStorePerSuite } from "./support/store-fixture.js";
import { STORES } from "./support/stores.js";

/** A GroupCommit whose writes are kept, each as the rows it was given; `fail` makes the next one throw. */
function recordingGroupCommit(maxRows: number) {
  const writes: number[][] = [];
  const control = { fail: false };
  const group = new GroupCommit<number>(async (rows) => {
    await Promise.resolve();
    if (control.fail) {
      control.fail = false;
      throw new Error("store refused");
    }
    writes.push(rows);
  }, maxRows);
  return { group, writes, control };
}

describe("GroupCommit", () => {
  it("writes the rows added in one turn of the event loop with one call, and resolves each add after it", async () => {
    const { group, writes } = recordingGroupCommit(100);
    const settled: number[] = [];
    const adds = [1, 2, 3].map((row) => group.add(row).then(() => settled.push(row)));
    expect(writes).toEqual([]);
    await Promise.all(adds);
    expect(writes).toEqual([[1, 2, 3]]);
    expect(settled).toEqual([1, 2, 3]);

    await group.add(4);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it("splits a burst into statements of at most maxRows, in the order added", async () => {
    const { group, writes } = recordingGroupCommit(2);
    await Promise.all([1, 2, 3, 4, 5].map((row) => group.add(row)));
    expect(writes).toEqual([[1, 2], [3, 4], [5]]);
  });

  it("resolves each add with its own result, in the order the write gives them", async () => {
    const group = new GroupCommit<number, string>(async (items) => items.map((item) => `result of ${item}`), 2);
    expect(await Promise.all([1, 2, 3].map((item) => group.add(item)))).toEqual(["result of 1", "result of 2", "result of 3"]);
  });

  it("rejects every add of a failed write with its error, and writes the next turn's rows", async () => {
    const { group, writes, control } = recordingGroupCommit(100);
    control.fail = true;
    const failed = await Promise.allSettled([group.add(1), group.add(2)]);
    expect(failed.map((result) => result.status)).toEqual(["rejected", "rejected"]);
    expect(failed.map((result) => (result.status === "rejected" ? (result.reason as Error).message : ""))).toEqual([
      "store refused",
      "store refused",
    ]);
    await group.add(3);
    expect(writes).toEqual([[3]]);
  });
});

describe.each(STORES)("audit rows grouped into one INSERT on $name", (kind) => {
  const fixture = migratedStorePerSuite(kind);

  const eventsOn = (db: Kysely<Database>, lines: string[]) => {
    const logger = createLogger("info", { write: (line: string) => void lines.push(line) });
    return new AuthEvents(db, systemClock, logger, new OutageLog(logger, { what: "store", meanwhile: "nothing" }));
  };
  const event = (i: number): AuthEvent => ({ type: "refreshed", userId: `user-${i}`, sessionId: `session-${i}`, ip: "127.0.0.1" });

  it("keeps every event of a burst, in the order recorded, and each is readable once its record resolves", async () => {
    const { db } = fixture.store;
    const events = eventsOn(db, []);
    const count = 250;
    await Promise.all(Array.from({ length: count }, (_, i) => events.record(event(i))));
    const rows = await db
      .selectFrom("auth_events")
      .select(["user_id", "session_id"])
      .where("type", "=", "refreshed")
      .orderBy("id")
      .execute();
    expect(rows.map((row) => row.user_id)).toEqual(Array.from({ length: count }, (_, i) => `user-${i}`));

    await events.record(event(count));
    const last = await db.selectFrom("auth_events").select("user_id").where("user_id", "=", `user-${count}`).execute();
    expect(last).toHaveLength(1);
  });

  it("never fails the operation when the store cannot take the rows: each event's failure is logged", async () => {
    const second = await openStore(fixture.url, createLogger("silent"));
    await migrateToLatest(second.db, second.dialect);
    const lines: string[] = [];
    const events = eventsOn(second.db, lines);
    await second.close();
    await expect(Promise.all([events.record(event(1)), events.record(event(2))])).resolves.toEqual([undefined, undefined]);
    const failures = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "could not record auth event");
    expect(failures.map((entry) => entry.event)).toEqual(["refreshed", "refreshed"]);
  });
});
