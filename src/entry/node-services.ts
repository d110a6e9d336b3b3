import type { Config } from "../config.js";
import type { RoutineRegistry } from "../core/routine.js";
import { limitsFromConfig } from "../service/limits.js";
import { MemoryStore } from "../service/memory-store.js";
import { createServices, type Services } from "../service/services.js";
import type { Store } from "../service/store.js";
import { heapLimitBytes } from "./heap-limit.js";
import { databaseFile } from "./local-runtime.js";
import { openSqliteStore } from "./sqlite-file.js";

/**
 * `ROUTILUX_STORE`: SQLite under `ROUTILUX_DATA_DIR` (the default), or memory. The SQLite driver is imported
 * only here, when asked for, so `ROUTILUX_STORE=memory` works where better-sqlite3's native module is not built.
 */
export function openLocalStore(config: Config): Promise<Store> {
  return config.store === "memory"
    ? Promise.resolve(new MemoryStore())
    : openSqliteStore(databaseFile(config));
}

/** The services of a Node or Bun process (the CLI's server), configured from `config`. */
export async function nodeServices(
  config: Config,
  registry: RoutineRegistry,
  options: { store?: Store; demoFlows?: boolean } = {},
): Promise<Services> {
  return createServices({
    store: options.store ?? (await openLocalStore(config)),
    registry,
    demoFlows: options.demoFlows ?? true,
    limits: limitsFromConfig(config, heapLimitBytes()),
    retention: { jobs: config.retentionJobs, days: config.retentionDays },
  });
}
