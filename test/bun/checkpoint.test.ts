import { openBunSqlite } from "../../src/service/sqlite/bun-sqlite-driver.js";
import { defineCheckpointTests } from "../contract/checkpoint-tests.js";

// Run with `bun test test/bun/`: Bun's runner serves the shared suite's "vitest" imports from bun:test.
defineCheckpointTests("bun:sqlite driver", openBunSqlite);
