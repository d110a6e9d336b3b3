import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { doSqliteDriver } from "../../src/edge/do-sqlite-driver.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import type { Store } from "../../src/service/store.js";
import { defineStoreContract } from "../contract/store-contract.js";

/**
 * The Store contract that every store passes (test/contract/), run on Durable Object SQLite through the DO driver:
 * SqliteStore's schema (triggers, WITHOUT ROWID, INDEXED BY, row values, JSON functions) and its transactions, as
 * a JobObject and the registry use them. Each test gets a fresh object, hence a fresh database; every call runs
 * inside that object, where its storage lives.
 */
defineStoreContract("SqliteStore on Durable Object SQLite", async () => {
  const stub = env.JOBS.getByName(`store-contract-${crypto.randomUUID()}`);
  const store = new Proxy({} as Store, {
    get:
      (_, method) =>
      (...args: unknown[]) =>
        runInDurableObject(stub, (_instance, state) => {
          const inObject = new SqliteStore(doSqliteDriver(state.storage)) as unknown as Record<
            PropertyKey,
            (...args: unknown[]) => unknown
          >;
          return inObject[method]!(...args);
        }),
  });
  return { store, cleanup: async () => {} };
});
