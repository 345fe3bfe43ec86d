import { afterAll, beforeAll } from "vitest";
import { createLogger } from "../../src/logger.js";
import { openStore, type Store } from "../../src/store/database.js";
import { migrateToLatest } from "../../src/store/migrations.js";
import type { StoreKind, TestStore } from "./stores.js";

export interface StoreFixture {
  /** The store, opened and migrated. */
  readonly store: Store;
  /** Its URL, to open it a second time. */
  readonly url: string;
}

/**
 * A fresh store, opened and migrated, for the enclosing `describe`, with no app on it: for tests of
 * the store layer. Its hooks come first, so the suite's own `beforeAll` can fill it. Closed and
 * dropped after the suite. Read the fields inside hooks and tests, not at collection.
 */
export function migratedStorePerSuite(kind: StoreKind): StoreFixture {
  let test: TestStore | undefined;
  let store: Store | undefined;
  beforeAll(async () => {
    test = await kind.create();
    store = await openStore(test.url, createLogger("silent"));
    await migrateToLatest(store.db, store.dialect);
  });
  afterAll(async () => {
    await store?.close();
    await test?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the suite's store is not open yet");
    return value;
  };
  return {
    get store() {
      return ready(store);
    },
    get url() {
      return ready(test).url;
    },
  };
}
