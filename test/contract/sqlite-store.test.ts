import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import { defineSqliteStoreTests } from "./sqlite-store-tests.js";

defineSqliteStoreTests("SqliteStore on better-sqlite3", openBetterSqlite3);
