import fs from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import type { SqliteDriver } from "../../src/service/sqlite/driver.js";
import { MIGRATIONS } from "../../src/service/sqlite/schema.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { ServerProcess } from "./server-process.js";
import { tempDataDir } from "./support.js";

/** Upgrading: migrations run at start-up; a database from a newer build is refused. */

let data: ReturnType<typeof tempDataDir>;
const drivers: SqliteDriver[] = [];

beforeEach(() => {
  data = tempDataDir();
});

afterEach(() => {
  for (const driver of drivers.splice(0)) driver.close();
  data.remove();
});

function open(): SqliteDriver {
  const driver = openBetterSqlite3(data.file);
  drivers.push(driver);
  return driver;
}

/** The schema as the first release shipped it: every migration before event logs moved to chunks. */
function firstSchema(driver: SqliteDriver): void {
  const chunked = MIGRATIONS.findIndex((sql) => sql.includes("CREATE TABLE job_event_chunks"));
  expect(chunked).toBeGreaterThan(0);
  driver.tx(() => {
    driver.run("CREATE TABLE _migrations (id INTEGER PRIMARY KEY)");
    for (const [index, sql] of MIGRATIONS.slice(0, chunked).entries()) {
      driver.run(sql);
      driver.run("INSERT INTO _migrations (id) VALUES (?)", [index + 1]);
    }
  });
}

describe("upgrading the database", () => {
  test("event logs written one row per event by the first schema read the same after the upgrade", async () => {
    const old = open();
    firstSchema(old);
    old.run(
      "INSERT INTO jobs (job_id, flow_id, status, created_at) VALUES ('j1', 'f', 'completed', '2026-01-01T00:00:00.000Z')",
    );
    for (let seq = 1; seq <= 6; seq++) {
      old.run("INSERT INTO job_events (job_id, seq, type, timestamp, data) VALUES (?, ?, ?, ?, ?)", [
        "j1",
        seq,
        seq === 6 ? "job_completed" : "log",
        `2026-01-01T00:00:0${seq}.000Z`,
        JSON.stringify({ message: `event ${seq}`, nested: { seq, tags: ["a"] } }),
      ]);
    }
    // The first two were cut by a truncation the old way: their rows deleted, the cut remembered.
    old.run("DELETE FROM job_events WHERE job_id = 'j1' AND seq <= 2");
    old.run("INSERT INTO job_event_truncations (job_id, truncated_through) VALUES ('j1', 2)");

    const store = new SqliteStore(open());
    const log = await store.readEvents("j1", 0, 100);
    expect(log).toMatchObject({ last_seq: 6, oldest_seq: 3 });
    expect(log.events).toEqual(
      [3, 4, 5, 6].map((seq) => ({
        seq,
        job_id: "j1",
        type: seq === 6 ? "job_completed" : "log",
        timestamp: `2026-01-01T00:00:0${seq}.000Z`,
        data: { message: `event ${seq}`, nested: { seq, tags: ["a"] } },
      })),
    );
    expect((await store.readEvents("j1", 4, 1)).events.map((event) => event.seq)).toEqual([5]);
    // The log goes on where it ended.
    await store.appendEvents("j1", [
      { seq: 7, job_id: "j1", type: "log", timestamp: "2026-01-01T00:00:07.000Z", data: {} },
    ]);
    expect((await store.readEvents("j1", 5, 100)).events.map((event) => event.seq)).toEqual([6, 7]);
    const [applied] = open().all<{ count: number }>("SELECT COUNT(*) AS count FROM _migrations");
    expect(applied!.count).toBe(MIGRATIONS.length);
  });

  test("a database from a newer build is refused and left as it is", () => {
    new SqliteStore(open());
    open().run("INSERT INTO _migrations (id) VALUES (?)", [MIGRATIONS.length + 1]);
    expect(() => new SqliteStore(open())).toThrow(
      `database schema has ${MIGRATIONS.length + 1} migrations; this build knows only ${MIGRATIONS.length}`,
    );
  });

  test("routilux serve refuses to start on a database from a newer build, saying why", async () => {
    new SqliteStore(open());
    open().run("INSERT INTO _migrations (id) VALUES (?)", [MIGRATIONS.length + 1]);
    for (const driver of drivers.splice(0)) driver.close();
    const sizeBefore = fs.statSync(data.file).size;

    const start = ServerProcess.start(data.dir);
    await expect(start).rejects.toThrow(/this build knows only/);
    expect(fs.statSync(data.file).size).toBe(sizeBefore);
  }, 120_000);
});
