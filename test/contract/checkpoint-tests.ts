import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { SqliteDriver } from "../../src/service/sqlite/driver.js";

/**
 * WAL checkpoints run on the driver's own thread (src/service/sqlite/wal-checkpointer.mjs), for both SQLite
 * drivers: better-sqlite3 here, bun:sqlite under `bun test`. In WAL mode the database file only grows when a
 * checkpoint copies the WAL into it, so its size tells whether one ran.
 */
export function defineCheckpointTests(name: string, open: (file: string) => SqliteDriver): void {
  describe(`${name}: checkpoints on a background thread`, () => {
    let dir: string;
    let file: string;
    let db: SqliteDriver;
    const row = "x".repeat(100_000);

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "routilux-checkpoint-"));
      file = path.join(dir, "routilux.db");
      db = open(file);
      db.run("CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT NOT NULL)");
    });

    afterEach(async () => {
      await db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    const insert = (rows: number) => {
      for (let i = 0; i < rows; i++) db.tx(() => db.run("INSERT INTO t (v) VALUES (?)", [row]));
    };
    const fileSize = () => fs.statSync(file).size;
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

    async function eventually(check: () => boolean, withinMs: number): Promise<void> {
      const until = Date.now() + withinMs;
      while (!check()) {
        if (Date.now() > until) throw new Error(`not within ${withinMs} ms`);
        await sleep(20);
      }
    }

    test("the writing connection never checkpoints by itself", () => {
      expect(db.all("PRAGMA wal_autocheckpoint")).toEqual([{ wal_autocheckpoint: 0 }]);
      insert(30);
      expect(fileSize()).toBeLessThan(1_000_000);
    });

    test("a pause in the writes gets the WAL checkpointed", async () => {
      insert(30);
      await eventually(() => fileSize() >= 3_000_000, 3_000);
    });

    test("writes without a pause still get checkpointed, after at most about two seconds", async () => {
      const started = Date.now();
      // A write every 10 ms: the checkpoint thread never sees a tick without one.
      while (fileSize() < 1_000_000) {
        insert(1);
        await sleep(10);
        expect(Date.now() - started).toBeLessThan(6_000);
      }
    });

    test("close waits for the thread, and leaves everything in the database file", async () => {
      insert(30);
      await db.close();
      expect(fs.existsSync(`${file}-wal`)).toBe(false);
      expect(fileSize()).toBeGreaterThanOrEqual(3_000_000);
      db = open(file);
      expect(db.all("SELECT count(*) AS n FROM t")).toEqual([{ n: 30 }]);
    });
  });
}
