import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Clock } from "../../src/core/clock.js";
import type { JobRecord, JsonObject } from "../../src/core/types.js";
import { defaultRegistry } from "../../src/routines/index.js";
import { createServices, type Services, type ServicesOptions } from "../../src/service/services.js";
import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import type { SqliteDriver } from "../../src/service/sqlite/driver.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";

/** A directory of the test's own under the OS temp dir, holding `routilux.db`; `remove()` deletes it. */
export function tempDataDir(): { dir: string; file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "routilux-persistence-"));
  return {
    dir,
    file: path.join(dir, "routilux.db"),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  constructor(private ms = Date.parse("2026-01-01T00:00:00.000Z")) {}
  now = (): number => this.ms;
  iso = (): string => new Date(this.ms).toISOString();
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Services over a SQLite file, as `routilux serve` wires them. Several may be open on one file at once: a second
 * one started while the first is still open is what a restart after a crash looks like to the file.
 */
export function sqliteServices(
  file: string,
  options: Partial<ServicesOptions> = {},
): Promise<Services & { driver: SqliteDriver }> {
  const driver = openBetterSqlite3(file);
  return createServices({
    store: new SqliteStore(driver),
    registry: defaultRegistry(),
    ...options,
  }).then((services) => Object.assign(services, { driver }));
}

/** A second connection to the file, as a restarted process would open it. */
export function reopen(file: string): SqliteStore {
  return new SqliteStore(openBetterSqlite3(file));
}

/** Starts a job of a demo flow at its `source` routine. */
export function startJob(
  services: Services,
  flow_id: string,
  entry_params: JsonObject,
  extra: {
    pause_on_start?: boolean;
    breakpoints?: { type: "routine"; routine_id: string; enabled: boolean }[];
  } = {},
): Promise<JobRecord> {
  return services.jobs.start({ flow_id, entry_routine_id: "source", entry_params, ...extra });
}

/** Starts a job and resolves with its final record. */
export async function runJob(
  services: Services,
  flow_id: string,
  entry_params: JsonObject,
  extra: Parameters<typeof startJob>[3] = {},
): Promise<JobRecord> {
  const { job_id } = await startJob(services, flow_id, entry_params, extra);
  return services.jobs.liveJob(job_id)!.done;
}

/** Polls `probe` every 5 ms until it returns true; throws after `timeoutMs`. */
export async function waitUntil(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One turn of the event loop: timers and I/O callbacks queued before it have run when it resolves. */
export const nextTurn = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
