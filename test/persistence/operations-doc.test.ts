import { exec as execCallback, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import { MIGRATIONS } from "../../src/service/sqlite/schema.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { runJob, sqliteServices, startJob, tempDataDir, waitUntil } from "./support.js";

/**
 * Runs the commands of docs/operations.md as written, in a directory laid out like a server's (`.routilux/` with a
 * live database), while a job writes to it.
 */

const exec = promisify(execCallback);
const REPO = fileURLToPath(new URL("../..", import.meta.url));
const DOC = fs.readFileSync(path.join(REPO, "docs/operations.md"), "utf8");

/** The doc's shell commands, by what they do; a command the doc adds must be given a test here. */
function commands(): Record<"backup" | "nodeBackup" | "vacuumInto" | "restore" | "vacuum", string> {
  const blocks = [...DOC.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!.trim());
  const pick = (pattern: RegExp) => {
    const found = blocks.filter((block) => pattern.test(block));
    expect(found, String(pattern)).toHaveLength(1);
    return found[0]!;
  };
  const named = {
    backup: pick(/\.backup backup\.db/),
    nodeBackup: pick(/^node -e/),
    vacuumInto: pick(/VACUUM INTO/),
    restore: pick(/^cp backup\.db/),
    vacuum: pick(/"VACUUM"$/),
  };
  expect(blocks).toHaveLength(Object.keys(named).length);
  return named;
}

const sqlite3Available = spawnSync("sqlite3", ["-version"]).status === 0;
if (!sqlite3Available)
  console.error("\n!!! sqlite3 shell not found: its commands in docs/operations.md are SKIPPED !!!\n");

let data: ReturnType<typeof tempDataDir>;

beforeEach(() => {
  data = tempDataDir();
  fs.mkdirSync(path.join(data.dir, ".routilux"));
});

afterEach(() => data.remove());

/** A shell command in the data directory's parent, as an operator would type it; async, so jobs keep writing. */
async function shell(command: string): Promise<string> {
  const { stdout } = await exec(command, {
    cwd: data.dir,
    // Where Routilux is installed: `require('better-sqlite3')` resolves from there.
    env: { ...process.env, NODE_PATH: path.join(REPO, "node_modules") },
  });
  return stdout;
}

const databaseFile = () => path.join(data.dir, ".routilux", "routilux.db");

/** Finished jobs and one job that keeps writing while the commands run. */
async function liveServer() {
  const services = await sqliteServices(databaseFile());
  const finished: JobRecord[] = [];
  for (let i = 0; i < 5; i++)
    finished.push(await runJob(services, "linear_flow", { data: `job ${i}`, count: 20 }));
  const writing = await startJob(services, "linear_flow", { data: "busy", count: 2000, delay_ms: 2 });
  await waitUntil("the busy job to log", () => services.jobs.liveJob(writing.job_id)!.log.lastSeq > 50);
  /** Like stopping the server; the busy job is cancelled first, so it does not write to a closed database. */
  const stop = async () => {
    if (services.jobs.liveJob(writing.job_id)!.status === "running")
      await services.jobs.cancel(writing.job_id);
    await services.close();
  };
  return { services, finished, writing, stop };
}

/** A copy is usable when SQLite finds it sound and every job's log in it runs 1…N without a gap. */
async function expectSoundCopy(file: string, finished: readonly JobRecord[], running: string): Promise<void> {
  const driver = openBetterSqlite3(file);
  const store = new SqliteStore(driver);
  try {
    expect(driver.all("PRAGMA integrity_check")).toEqual([{ integrity_check: "ok" }]);
    for (const job of finished) {
      expect(await store.getJob(job.job_id)).toEqual(job);
      const log = await store.readEvents(job.job_id, 0, 100_000);
      expect(log.events.map((event) => event.seq)).toEqual(seqs(log.last_seq));
    }
    const busy = await store.readEvents(running, 0, 100_000);
    expect(busy.last_seq).toBeGreaterThan(50);
    expect(busy.events.map((event) => event.seq)).toEqual(seqs(busy.last_seq));
  } finally {
    await store.close();
  }
}

const seqs = (last: number): number[] => Array.from({ length: last }, (_, i) => i + 1);

describe("docs/operations.md, as written", () => {
  test("each backup command copies the database while a job writes to it", async () => {
    const run = commands();
    const { services, finished, writing, stop } = await liveServer();
    try {
      expect((await shell(run.nodeBackup)).trim()).toBe("backup.db written");
      await expectSoundCopy(path.join(data.dir, "backup.db"), finished, writing.job_id);

      if (sqlite3Available) {
        for (const command of [run.backup, run.vacuumInto]) {
          fs.rmSync(path.join(data.dir, "backup.db"));
          await shell(command);
          await expectSoundCopy(path.join(data.dir, "backup.db"), finished, writing.job_id);
        }
      }
      // The job wrote on while the copies were made.
      expect(services.jobs.liveJob(writing.job_id)!.status).toBe("running");
    } finally {
      await stop();
    }
  }, 60_000);

  test("restoring a backup: the server starts on it, and the job that was running then is marked failed", async () => {
    const run = commands();
    const { services, finished, writing, stop } = await liveServer();
    await shell(run.nodeBackup);
    // More work after the backup, which the restore throws away.
    const later = await runJob(services, "linear_flow", { data: "after the backup" });
    await stop();

    await shell(run.restore);
    const restored = await sqliteServices(databaseFile());
    try {
      expect(restored.interrupted).toBe(1);
      expect(await restored.jobs.get(writing.job_id)).toMatchObject({
        status: "failed",
        error: "interrupted by server restart",
      });
      for (const job of finished) expect(await restored.jobs.get(job.job_id)).toEqual(job);
      await expect(restored.jobs.get(later.job_id)).rejects.toThrow(/not found/i);
    } finally {
      await restored.close();
    }
  }, 60_000);

  test.runIf(sqlite3Available)(
    "VACUUM on a stopped server's database keeps everything",
    async () => {
      const run = commands();
      const { finished, writing, stop } = await liveServer();
      await stop();
      await shell(run.vacuum);
      await expectSoundCopy(databaseFile(), finished, writing.job_id);
    },
    60_000,
  );

  test("the refusal of a newer database reads as the doc shows it", async () => {
    const store = new SqliteStore(openBetterSqlite3(databaseFile()));
    await store.close();
    const driver = openBetterSqlite3(databaseFile());
    driver.run("INSERT INTO _migrations (id) VALUES (?)", [MIGRATIONS.length + 1]);
    driver.close();
    const shown = /^(Error: database schema has .*)$/m.exec(DOC)![1]!;
    let message = "";
    try {
      new SqliteStore(openBetterSqlite3(databaseFile()));
    } catch (error) {
      message = (error as Error).message;
    }
    // The counts change with every migration; the words must not.
    const words = (text: string) => text.replace(/\d+/g, "N");
    expect(words(`Error: ${message}`)).toBe(words(shown));
  });
});
