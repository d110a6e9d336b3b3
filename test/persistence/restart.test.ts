import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { type EventPage, type JobPage, ServerProcess } from "./server-process.js";

/**
 * The restart promise of issue 6, end to end: a real `routilux serve` on a temp data directory runs 200 jobs and
 * one long one, is killed with SIGKILL, and is started again on the same files.
 */

const PAGE = 37; // odd on purpose: pages then end mid-way through runs of equal created_at
const LONG_JOB = { data: "x", count: 1000, delay_ms: 50 };

// A user's flow of a demo flow's id: the demo linear_flow is deleted and replaced by this one.
const USER_LINEAR_FLOW = {
  flow_id: "linear_flow",
  dsl_dict: {
    routines: { source: { class: "DemoSource" }, sink: { class: "DemoSink" } },
    connections: [{ from: "source.output", to: "sink.input" }],
  },
};
const USER_FLOW = {
  flow_id: "persisted_flow",
  dsl_dict: {
    routines: {
      source: { class: "DemoSource" },
      upper: { class: "DemoTransformer" },
      sink: { class: "DemoSink" },
    },
    connections: [
      { from: "source.output", to: "upper.input" },
      { from: "upper.output", to: "sink.input" },
    ],
  },
};

/** A logpoint: it records instead of pausing, and its hit count is part of what a restart must keep. */
const LOGPOINT = { type: "routine", routine_id: "upper", log_message: "upper got {data}" };

/** 200 jobs: every finished status, four flows, one of them the user's. */
const JOB_MIX: {
  flow_id: string;
  params: Record<string, unknown>;
  extra?: Record<string, unknown>;
  cancel?: boolean;
}[] = [
  ...Array.from({ length: 60 }, (_, i) => ({ flow_id: "linear_flow", params: { data: `l${i}`, count: 3 } })),
  ...Array.from({ length: 60 }, (_, i) => ({
    flow_id: "persisted_flow",
    params: { data: `p${i}`, count: 2 },
    extra: { breakpoints: [LOGPOINT] },
  })),
  ...Array.from({ length: 50 }, () => ({ flow_id: "error_flow", params: { data: "fail" } })),
  ...Array.from({ length: 20 }, (_, i) => ({ flow_id: "error_flow", params: { data: `ok${i}`, count: 2 } })),
  ...Array.from({ length: 10 }, () => ({
    flow_id: "branching_flow",
    params: { data: "slow", count: 5, delay_ms: 1000 },
    cancel: true,
  })),
];

interface Snapshot {
  flows: Record<string, unknown>;
  jobs: Map<string, JobRecord>;
  logs: Map<string, EventPage>;
  /** `GET /api/jobs/{id}/state` of every tenth job. */
  states: Map<string, Record<string, unknown>>;
  /** `GET /api/jobs/{id}/breakpoints` of every tenth job. */
  breakpoints: Map<string, { breakpoints: { hit_count: number }[]; total: number }>;
  /** Job list pages, by the query that produced them. */
  pages: Map<string, JobPage[]>;
}

/** Walks whose matches the restart does not change (the long job goes from running to failed). */
const PAGE_WALKS = [
  "order=desc",
  "order=asc",
  "order=desc&flow_id=branching_flow",
  "order=asc&flow_id=persisted_flow",
  "order=desc&status=completed",
  "order=asc&status=cancelled",
];

let dataDir: string;
let first: ServerProcess;
let second: ServerProcess | undefined;
let before: Snapshot;
let after: Snapshot;
let longJobId: string;
/** The long job's log as read over HTTP shortly before the kill. */
let longLogBeforeKill: EventPage;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "routilux-restart-"));
  first = await ServerProcess.start(dataDir);

  await first.request("DELETE", "/api/flows/linear_flow");
  await first.request("DELETE", "/api/flows/complex_flow");
  await first.request("POST", "/api/flows", USER_LINEAR_FLOW);
  await first.request("POST", "/api/flows", USER_FLOW);
  // Routines and connections added one by one persist too.
  await first.request(
    "POST",
    "/api/flows/persisted_flow/routines?routine_id=twice&class_path=DemoMultiplier",
    {
      times: 2,
    },
  );
  await first.request(
    "POST",
    "/api/flows/persisted_flow/connections?source_routine=source&source_event=output&target_routine=twice&target_slot=input",
  );
  await first.request(
    "POST",
    "/api/flows/persisted_flow/connections?source_routine=twice&source_event=output&target_routine=sink&target_slot=input",
  );

  const ids = await runJobMix(first);
  const longJob = await first.startJob("branching_flow", LONG_JOB);
  longJobId = longJob.job_id;
  // Everything finished is in the store (the list reads the store) before anything is recorded.
  await first.waitFor("the job list to show only the long job unfinished", 30_000, async () => {
    const unfinished = await Promise.all(
      ["pending", "running", "paused"].map((status) => first.jobPage(`status=${status}&limit=1`)),
    );
    return unfinished.reduce((sum, page) => sum + page.total, 0) === 1 ? true : undefined;
  });
  await first.waitFor("the long job to log a few items", 30_000, async () =>
    (await first.events(longJobId)).last_seq >= 20 ? true : undefined,
  );

  before = await snapshot(first, ids);
  longLogBeforeKill = await first.events(longJobId);
  // Once the job has logged more, the events read above were logged in an earlier turn of the server's event
  // loop, whose batch has been written: they must survive the kill.
  await first.waitFor("the long job to go on logging", 10_000, async () =>
    (await first.events(longJobId)).last_seq > longLogBeforeKill.last_seq ? true : undefined,
  );
  await first.kill();

  second = await ServerProcess.start(dataDir);
  after = await snapshot(second, ids);
}, 300_000);

afterAll(async () => {
  await first?.kill();
  await second?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe("after a SIGKILL and a restart on the same data directory", () => {
  test("every flow is there as it was: the user's flows, their added routines and connections, the demos", () => {
    const { complex_flow, ...kept } = after.flows;
    expect(kept).toEqual(before.flows);
    expect(Object.keys(after.flows).sort()).toEqual([
      "branching_flow",
      "complex_flow",
      "error_flow",
      "linear_flow",
      "persisted_flow",
    ]);
  });

  test("a demo flow the user deleted is registered again", () => {
    expect(before.flows.complex_flow).toBeUndefined();
    expect(after.flows.complex_flow).toMatchObject({
      flow_id: "complex_flow",
      execution_strategy: "concurrent",
    });
  });

  test("the user's flow of a demo flow's id survives; the demo does not overwrite it", () => {
    const linear = after.flows.linear_flow as { routines: Record<string, unknown> };
    expect(Object.keys(linear.routines).sort()).toEqual(["sink", "source"]);
    const persisted = after.flows.persisted_flow as {
      routines: Record<string, unknown>;
      connections: unknown[];
    };
    expect(Object.keys(persisted.routines).sort()).toEqual(["sink", "source", "twice", "upper"]);
    expect(persisted.connections).toHaveLength(4);
  });

  test("all 200 jobs are there with their exact records, in every finished status", () => {
    expect(after.jobs.size).toBe(200);
    for (const [job_id, record] of before.jobs) expect(after.jobs.get(job_id), job_id).toEqual(record);
    const statuses = new Set([...after.jobs.values()].map((job) => job.status));
    expect([...statuses].sort()).toEqual(["cancelled", "completed", "failed"]);
  });

  test("every finished job's event log is whole: seq 1…N without gaps, event for event as before", () => {
    for (const [job_id, log] of before.logs) {
      const restored = after.logs.get(job_id)!;
      expect(restored, job_id).toEqual(log);
      expect(restored.events.map((event) => event.seq)).toEqual(range(1, restored.last_seq));
      expect(restored.oldest_seq).toBe(1);
      expect(restored.events.at(-1)!.type).toMatch(/^job_(completed|failed|cancelled)$/);
    }
  });

  test("breakpoints are kept with their final hit counts", () => {
    expect(after.breakpoints).toEqual(before.breakpoints);
    const kept = [...after.breakpoints.values()].flatMap((list) => list.breakpoints);
    expect(kept.length).toBeGreaterThan(0);
    // Each persisted_flow job ran `upper` twice (count 2).
    expect(kept.every((breakpoint) => breakpoint.hit_count === 2)).toBe(true);
  });

  test("the long job is failed, 'interrupted by server restart', and its log ends with job_failed", async () => {
    const job = await second!.job(longJobId);
    expect(job).toMatchObject({ status: "failed", error: "interrupted by server restart" });
    expect(job.completed_at).not.toBeNull();

    const log = await second!.events(longJobId);
    expect(log.events.map((event) => event.seq)).toEqual(range(1, log.last_seq));
    const last = log.events.at(-1)!;
    expect(last).toMatchObject({ type: "job_failed", data: { error: "interrupted by server restart" } });
    // What was seen before the kill was stored; the crash cost at most the batch being written.
    const kept = log.events.slice(0, -1);
    expect(kept.length).toBeGreaterThanOrEqual(longLogBeforeKill.last_seq);
    expect(kept.slice(0, longLogBeforeKill.events.length)).toEqual(longLogBeforeKill.events);
    // As docs/operations.md quotes it.
    expect(second!.printed).toContain("1 job(s) interrupted by the last shutdown were marked failed");
  });

  test("the job list pages exactly as before, by offset and by cursor, apart from the long job's status", async () => {
    const longJob = await second!.job(longJobId);
    const asRestarted = (page: JobPage): JobPage => ({
      ...page,
      jobs: page.jobs.map((job) => (job.job_id === longJobId ? longJob : job)),
    });
    for (const [query, pages] of before.pages) {
      expect(after.pages.get(query), query).toEqual(pages.map(asRestarted));
    }
    const walked = before.pages.get("order=desc by cursor")!.flatMap((page) => page.jobs);
    expect(walked).toHaveLength(201);
  });

  test("a finished job's state is rebuilt from its log; shared_data lived only in the old process's memory", () => {
    expect(after.states.size).toBe(20);
    for (const [job_id, state] of after.states) {
      const { shared_data, current_routine_id, ...rebuilt } = state;
      // current_routine_id: null while the finished job was in memory, its last routine once rebuilt (reported).
      const { shared_data: _live, current_routine_id: _current, ...kept } = before.states.get(job_id)!;
      expect(rebuilt, job_id).toEqual(kept);
      expect(shared_data, job_id).toEqual({});
    }
    const sinkWrote = [...before.states.values()].filter(
      (state) => Object.keys(state.shared_data as object).length > 0,
    );
    expect(sinkWrote.length).toBeGreaterThan(0);
  });

  test("the restarted server runs new jobs on the restored flows", async () => {
    const job = await second!.startJob("persisted_flow", { data: "again", count: 2 });
    const done = await second!.waitForStatus(job.job_id, ["completed", "failed", "cancelled"]);
    expect(done.status).toBe("completed");
  });
});

/** Starts the mix 20 at a time, cancels the slow ones, and waits for every job to finish. */
async function runJobMix(server: ServerProcess): Promise<string[]> {
  const ids: string[] = [];
  for (let start = 0; start < JOB_MIX.length; start += 20) {
    const wave = JOB_MIX.slice(start, start + 20);
    const started = await Promise.all(
      wave.map(async ({ flow_id, params, extra, cancel }) => {
        const job = await server.startJob(flow_id, params, extra);
        if (cancel) {
          await server.waitForStatus(job.job_id, ["running"]);
          await server.request("POST", `/api/jobs/${job.job_id}/cancel`);
        }
        return job.job_id;
      }),
    );
    ids.push(...started);
  }
  await Promise.all(ids.map((id) => server.waitForStatus(id, ["completed", "failed", "cancelled"])));
  return ids;
}

async function snapshot(server: ServerProcess, ids: readonly string[]): Promise<Snapshot> {
  const { flows } = await server.request<{ flows: { flow_id: string }[] }>("GET", "/api/flows");
  const jobs = new Map<string, JobRecord>();
  const logs = new Map<string, EventPage>();
  const states = new Map<string, Record<string, unknown>>();
  const breakpoints: Snapshot["breakpoints"] = new Map();
  for (const [i, id] of ids.entries()) {
    jobs.set(id, await server.job(id));
    logs.set(id, await server.events(id));
    if (i % 10 !== 0) continue;
    states.set(id, await server.request("GET", `/api/jobs/${id}/state`));
    breakpoints.set(id, await server.request("GET", `/api/jobs/${id}/breakpoints`));
  }
  const pages = new Map<string, JobPage[]>();
  for (const query of PAGE_WALKS) {
    pages.set(`${query} by offset`, await pagesByOffset(server, query));
    pages.set(`${query} by cursor`, await pagesByCursor(server, query));
  }
  return {
    flows: Object.fromEntries(flows.map((flow) => [flow.flow_id, flow])),
    jobs,
    logs,
    states,
    breakpoints,
    pages,
  };
}

async function pagesByOffset(server: ServerProcess, query: string): Promise<JobPage[]> {
  const pages: JobPage[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const page = await server.jobPage(`${query}&limit=${PAGE}&offset=${offset}`);
    pages.push(page);
    if (offset + PAGE >= page.total) return pages;
  }
}

async function pagesByCursor(server: ServerProcess, query: string): Promise<JobPage[]> {
  const pages = [await server.jobPage(`${query}&limit=${PAGE}`)];
  for (let cursor = pages[0]!.next_cursor; cursor !== null; cursor = pages.at(-1)!.next_cursor) {
    pages.push(await server.jobPage(`${query}&limit=${PAGE}&cursor=${encodeURIComponent(cursor)}`));
  }
  return pages;
}

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
