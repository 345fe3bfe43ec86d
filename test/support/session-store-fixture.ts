import { beforeAll, beforeEach } from "vitest";
import { SessionRepository } from "../../src/auth/session-repository.js";
import type { Store } from "../../src/store/database.js";
import { migratedStorePerSuite } from "./store-fixture.js";
import { userRow } from "./store-rows.js";
import type { StoreKind } from "./stores.js";

export interface SessionStoreFixture {
  readonly store: Store;
  readonly sessions: SessionRepository;
}

/**
 * A migrated store holding one account, `userId`, made at `at`, and the session queries over it,
 * for the enclosing `describe`; its sessions are deleted before each test. Read the fields inside
 * hooks and tests.
 */
export function sessionStorePerSuite(kind: StoreKind, userId: string, at: number): SessionStoreFixture {
  const suite = migratedStorePerSuite(kind);
  let sessions: SessionRepository | undefined;
  beforeAll(async () => {
    sessions = new SessionRepository(suite.store.db, suite.store.dialect);
    await suite.store.db.insertInto("users").values(userRow(userId, at)).execute();
  });
  beforeEach(async () => {
    await suite.store.db.deleteFrom("sessions").execute();
  });
  return {
    get store() {
      return suite.store;
    },
    get sessions() {
      if (sessions === undefined) throw new Error("the suite's store is not open yet");
      return sessions;
    },
  };
}
