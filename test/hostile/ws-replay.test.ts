import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openBetterSqlite3 } from "../../src/service/sqlite/better-sqlite3-driver.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { tempDataDir } from "../persistence/support.js";
import { bunAvailable, startServer, type TestServer } from "../support/server.js";
import { expectSeqsCovered, type Message, openSocket, type TestSocket } from "../support/ws.js";
import { expectHealthy, guardPrototype } from "./support.js";

guardPrototype();

const ENDINGS = new Set(["job_completed", "job_failed", "job_cancelled"]);
const isEnding = (job_id: string) => (m: Message) => m.job_id === job_id && ENDINGS.has(m.type);

/** linear_flow emits 5 + 12 per item events; 834 items make 10 013. */
const TEN_THOUSAND_ITEMS = 834;
const TEN_THOUSAND_EVENTS = 5 + 12 * TEN_THOUSAND_ITEMS;

const wsUrl = (server: TestServer, path: string) => server.url.replace(/^http/, "ws") + path;

/** `/api/health` answers every 50 ms while `work` runs; the worst answer time is returned with its result. */
async function healthWhile<T>(server: TestServer, work: Promise<T>): Promise<{ result: T; worstMs: number }> {
  let worstMs = 0;
  let done = false;
  const probing = (async () => {
    while (!done) {
      const started = performance.now();
      const response = await server.request("GET", "/api/health");
      expect(response.status).toBe(200);
      worstMs = Math.max(worstMs, performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  try {
    return { result: await work, worstMs };
  } finally {
    done = true;
    await probing;
  }
}

/**
 * The repro: a job monitor opened at some moment of a 2 000-item linear_flow job. Each job must complete,
 * the monitor must get its final event, and the server must keep answering.
 */
async function monitorAtRandomMoment(server: TestServer, round: number): Promise<void> {
  const job = await server.startJob("linear_flow", { data: "x", count: 2000 });
  // Spread over the job's life: at once, a few turns in, or well into it.
  await new Promise((resolve) => setTimeout(resolve, (round * 37) % 120));
  const monitor = await openSocket(wsUrl(server, `/api/ws/jobs/${job.job_id}/monitor`));
  try {
    const messages = await monitor.collectUntil(isEnding(job.job_id), 10_000);
    expect(messages.filter((m) => m.type === "events:dropped")).toEqual([]);
    const ended = await server.waitForStatus(job.job_id, ["completed", "failed", "cancelled"], 10_000);
    expect(ended.status).toBe("completed");
  } finally {
    await monitor.close();
  }
}

describe("a job monitor opened during a job never hangs the server", () => {
  for (const store of ["memory", "sqlite"] as const) {
    describe(store, () => {
      let server: TestServer;
      let dir: ReturnType<typeof tempDataDir> | undefined;
      beforeAll(async () => {
        if (store === "sqlite") dir = tempDataDir();
        server = await startServer({}, dir ? { store: new SqliteStore(openBetterSqlite3(dir.file)) } : {});
      });
      afterAll(async () => {
        await server?.close();
        dir?.remove();
      });

      test("monitors opened at 10 moments of 2 000-item jobs: every job completes, every monitor gets the final event", async () => {
        for (let round = 0; round < 10; round++) {
          const { worstMs } = await healthWhile(server, monitorAtRandomMoment(server, round));
          expect(worstMs).toBeLessThan(1000);
        }
        await expectHealthy(server);
      }, 90_000);
    });
  }
});

/** Subscribes one `/ws` socket to each job with `since: 0` and reads until every job's final event. */
async function subscribeSinceZero(server: TestServer, job_ids: string[]): Promise<TestSocket> {
  const socket = await openSocket(wsUrl(server, "/ws"));
  for (const job_id of job_ids) socket.send({ action: "subscribe", job_id, since: 0 });
  const pending = new Set(job_ids);
  await socket.collectUntil((m) => {
    if (isEnding(m.job_id)(m) && m.seq !== undefined) {
      // /ws also sends every job's job_* events unasked; the subscribed stream's one carries the last seq.
      if (m.seq === TEN_THOUSAND_EVENTS) pending.delete(m.job_id);
    }
    return pending.size === 0;
  }, 20_000);
  return socket;
}

describe("replayed history is never dropped", () => {
  const targets = ["node", ...(bunAvailable() ? ["bun" as const] : [])] as const;
  for (const target of targets) {
    test(`${target}: one fast reader subscribed with since 0 to three 10 000-event jobs gets every seq of each once, and no events:dropped`, async () => {
      const server = await startServer({}, { target });
      try {
        const jobs = await Promise.all(
          [0, 1, 2].map(() => server.startJob("linear_flow", { data: "x", count: TEN_THOUSAND_ITEMS })),
        );
        for (const job of jobs) await server.waitForStatus(job.job_id, "completed", 15_000);
        const socket = await subscribeSinceZero(
          server,
          jobs.map((job) => job.job_id),
        );
        try {
          expect(socket.messages.filter((m) => m.type === "events:dropped")).toEqual([]);
          for (const job of jobs) {
            const streamed = socket.messages.filter(
              (m) => m.job_id === job.job_id && (m.type === "events:dropped" || typeof m.seq === "number"),
            );
            // Drop the unasked job_* copies /ws sent before the subscription replayed them.
            const firstReplayed = streamed.findIndex((m) => m.seq === 1);
            expect(expectSeqsCovered(streamed.slice(firstReplayed), job.job_id, TEN_THOUSAND_EVENTS)).toBe(0);
          }
        } finally {
          await socket.close();
        }
        await expectHealthy(server);
      } finally {
        await server.close();
      }
    }, 60_000);
  }
});
