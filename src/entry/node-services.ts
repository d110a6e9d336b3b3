import type { Config } from "../config.js";
import type { RoutineRegistry } from "../core/routine.js";
import { MemoryStore } from "../service/memory-store.js";
import { createServices, type Services } from "../service/services.js";
import { openBetterSqlite3 } from "../service/sqlite/better-sqlite3-driver.js";
import { SqliteStore } from "../service/sqlite/sqlite-store.js";
import type { Store } from "../service/store.js";
import { databaseFile } from "./local-runtime.js";

/** `ROUTILUX_STORE`: SQLite under `ROUTILUX_DATA_DIR` (the default), or memory. */
export function openNodeStore(config: Config): Store {
  return config.store === "memory"
    ? new MemoryStore()
    : new SqliteStore(openBetterSqlite3(databaseFile(config)));
}

export function nodeServices(
  config: Config,
  registry: RoutineRegistry,
  options: { store?: Store; demoFlows?: boolean } = {},
): Promise<Services> {
  return createServices({
    store: options.store ?? openNodeStore(config),
    registry,
    demoFlows: options.demoFlows ?? true,
    maxEventsPerJob: config.maxEventsPerJob,
    retention: { jobs: config.retentionJobs, days: config.retentionDays },
  });
}
