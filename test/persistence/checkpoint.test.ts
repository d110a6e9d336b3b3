import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import { defineCheckpointTests } from "../contract/checkpoint-tests.js";

defineCheckpointTests("better-sqlite3 driver", openBetterSqlite3);
