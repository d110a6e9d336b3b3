import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { JOB_STATUSES } from "../../src/core/types.js";
import { encodeJobCursor } from "../../src/service/job-cursor.js";
import type { SqliteDriver } from "../../src/service/sqlite/driver.js";
import { jobListStatements } from "../../src/service/sqlite/job-list-sql.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { events, flow, iso, job, T0 } from "./job-samples.js";
import { defineStoreContract } from "./store-contract.js";

/** A fresh directory under the OS temp dir holding one database file; `remove` deletes both. */
function tempDatabase(): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "routilux-store-"));
  return {
    file: path.join(dir, "routilux.db"),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** The Store contract on real SQLite files through `open`, plus what only a SQLite store can promise. */
export function defineSqliteStoreTests(name: string, open: (file: string) => SqliteDriver): void {
  defineStoreContract(name, async () => {
    const database = tempDatabase();
    const store = new SqliteStore(open(database.file));
    return {
      store,
      cleanup: async () => {
        await store.close();
        database.remove();
      },
    };
  });

  describe(`${name} on a file`, () => {
    let database: { file: string; remove(): void };
    beforeEach(() => {
      database = tempDatabase();
    });
    afterEach(() => database.remove());

    test("reopening the same file keeps flows, jobs, totals, event logs, truncations and breakpoints", async () => {
      const first = new SqliteStore(open(database.file));
      await first.saveFlow(flow("demo"));
      await first.saveJob(job({ job_id: "j1", status: "completed" }));
      await first.appendEvents("j1", events("j1", 1, 5));
      await first.truncateEvents("j1", 2);
      await first.saveBreakpoint({ job_id: "j1", breakpoint_id: "bp", type: "routine" });
      await first.close();

      const reopened = new SqliteStore(open(database.file));
      expect(await reopened.getFlow("demo")).toEqual(flow("demo"));
      expect(await reopened.listJobs({ order: "desc", limit: 10, offset: 0, status: "completed" })).toEqual({
        jobs: [job({ job_id: "j1", status: "completed" })],
        total: 1,
        next_cursor: null,
      });
      expect(await reopened.readEvents("j1", 0, 10)).toEqual({
        events: events("j1", 4, 5),
        last_seq: 5,
        oldest_seq: 4,
      });
      expect(await reopened.listBreakpoints("j1")).toEqual([
        { job_id: "j1", breakpoint_id: "bp", type: "routine" },
      ]);
      await reopened.close();
    });

    test("every job list page walks one index in list order, without a sort step", async () => {
      const driver = open(database.file);
      const store = new SqliteStore(driver);
      const starts = [
        { offset: 0 },
        { offset: 0, cursor: encodeJobCursor({ created_at: iso(T0 + 10), job_id: "j" }) },
        { offset: 5 },
      ];
      const ranges = [
        {},
        { created_after: iso(T0) },
        { created_before: iso(T0 + 20) },
        { created_after: iso(T0), created_before: iso(T0 + 20) },
      ];
      for (const order of ["desc", "asc"] as const) {
        for (const flowId of [undefined, "flow_a"]) {
          for (const status of [undefined, ...JOB_STATUSES]) {
            for (const range of ranges) {
              for (const start of starts) {
                const query = { order, flow_id: flowId, status, ...range, ...start, limit: 10 };
                const { page } = jobListStatements(query);
                const plan = driver
                  .all<{ detail: string }>(`EXPLAIN QUERY PLAN ${page.sql}`, page.params)
                  .map((row) => row.detail)
                  .join(" | ");
                expect(plan).not.toContain("TEMP B-TREE");
                // A page past a cursor ranges the index from the cursor, not from a date bound on the same side.
                if (start.cursor && page.sql.includes("(created_at, job_id)")) {
                  expect(plan).toContain("(created_at,job_id)");
                }
                // Skipping `offset` matches reads index entries only, never the table.
                if (start.offset > 0) expect(plan).toContain("COVERING INDEX");
              }
            }
          }
        }
      }
      await store.close();
    });
  });
}
