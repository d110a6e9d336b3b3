import { afterAll, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import type { SqliteDriver } from "../../src/service/sqlite/driver.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { type EventPage, ServerProcess } from "../persistence/server-process.js";
import { tempDataDir } from "../persistence/support.js";
import { type ApiClient, startServer, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/**
 * A real SQLite file whose writes start failing mid-job: `PRAGMA max_page_count` pinned to the file's size makes
 * SQLite answer SQLITE_FULL ("database or disk is full") the moment a write needs one more page, as a full disk
 * does. The server runs in this process over that store; the restart is a real `routilux serve` on the same file.
 */

guardPrototype();

const READS = ["", "/events?since=0&limit=10000", "/state", "/trace", "/metrics", "/logs"];

/** A server over a fresh SQLite file that has run one job, so a next job's record fits in pages it already has. */
async function serverOnSqlite(): Promise<{ api: TestServer; driver: SqliteDriver; dir: string }> {
  const data = tempDataDir();
  afterAll(() => data.remove());
  const driver = openBetterSqlite3(data.file);
  const api = await startServer({}, { store: new SqliteStore(driver) });
  const warm = await api.startJob("linear_flow", { data: "warm", count: 1 });
  await api.waitForStatus(warm.job_id, "completed");
  return { api, driver, dir: data.dir };
}

/** Every later write that needs one more page of the file fails with SQLITE_FULL. */
function diskFull(driver: SqliteDriver): void {
  const [row] = driver.all<{ page_count: number }>("PRAGMA page_count");
  driver.all(`PRAGMA max_page_count = ${row!.page_count}`);
}

/** The list, the job, its state, trace, metrics, logs and events: all 200, all saying `failed` with `error`. */
async function expectReadsAgree(api: ApiClient, job_id: string, error: RegExp): Promise<JobRecord> {
  const job = await api.request<JobRecord>("GET", `/api/jobs/${job_id}`);
  expect(job.body).toMatchObject({ status: "failed", error: expect.stringMatching(error) });
  const list = await api.request<{ jobs: JobRecord[] }>("GET", "/api/jobs?limit=100");
  expect(list.body.jobs.find((j) => j.job_id === job_id)).toEqual(job.body);
  for (const path of READS) {
    const response = await api.request<{ status?: string }>("GET", `/api/jobs/${job_id}${path}`);
    expect([path, response.status]).toEqual([path, 200]);
    if (path === "/state") expect(response.body.status).toBe("failed");
  }
  // The stored log has no gap: a reader paging by `since` reaches its last_seq.
  const page = await api.request<EventPage>("GET", `/api/jobs/${job_id}/events?since=0&limit=10000`);
  expect(page.body.events.map((event) => event.seq)).toEqual(
    Array.from({ length: page.body.last_seq }, (_, i) => i + 1),
  );
  return job.body;
}

async function expectRestartKeepsCause(dir: string, failed: JobRecord): Promise<void> {
  const restarted = await ServerProcess.start(dir);
  try {
    expect(await restarted.job(failed.job_id)).toEqual(failed);
    await expectReadsAgree(apiOf(restarted), failed.job_id, /^storage write failed: /);
  } finally {
    await restarted.stop();
  }
}

const apiOf = (server: ServerProcess): ApiClient => ({
  request: async (method, path) => {
    const response = await fetch(server.url + path, { method });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: JSON.parse(text), text };
  },
  startJob: () => Promise.reject(new Error("unused")),
  waitForStatus: () => Promise.reject(new Error("unused")),
});

describe("storage faults keep reads consistent", () => {
  test("when writing a running job's events fails, the job fails and every read agrees, after a restart too", async () => {
    const { api, driver, dir } = await serverOnSqlite();
    let failed: JobRecord;
    try {
      const job = await api.startJob("linear_flow", { data: "x".repeat(2000), count: 1000, delay_ms: 5 });
      diskFull(driver);
      await api.waitForStatus(job.job_id, ["failed", "completed"], 20_000);
      failed = await expectReadsAgree(api, job.job_id, /^storage write failed: database or disk is full$/);
      await expectHealthy(api);
    } finally {
      await api.close();
    }
    await expectRestartKeepsCause(dir, failed);
  });

  test("when a job finishes before its log could be stored, it fails and every read agrees, after a restart too", async () => {
    const { api, driver, dir } = await serverOnSqlite();
    let failed: JobRecord;
    try {
      diskFull(driver);
      // 500 synchronous emits: the job completes in one turn, before its first batch reaches the store.
      const job = await api.startJob("linear_flow", { data: "x".repeat(2000), count: 500 });
      await api.waitForStatus(job.job_id, ["failed"], 20_000);
      failed = await expectReadsAgree(api, job.job_id, /^storage write failed: database or disk is full$/);
      await expectHealthy(api);
    } finally {
      await api.close();
    }
    await expectRestartKeepsCause(dir, failed);
  });
});
