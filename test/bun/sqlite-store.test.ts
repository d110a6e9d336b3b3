import { openBunSqlite } from "../../src/service/sqlite/bun-sqlite-driver.js";
import { defineSqliteStoreTests } from "../contract/sqlite-store-tests.js";

// Run with `bun test test/bun/`: Bun's runner serves the shared suites' "vitest" imports from bun:test.
defineSqliteStoreTests("SqliteStore on bun:sqlite", openBunSqlite);
