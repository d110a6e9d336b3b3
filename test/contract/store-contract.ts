import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { JOB_STATUSES, type JobRecord } from "../../src/core/types.js";
import { InvalidJobQueryError } from "../../src/service/job-cursor.js";
import type { JobPage, JobQuery, Store } from "../../src/service/store.js";
import {
  events,
  expectedJobs,
  FINISHED,
  flow,
  ids,
  iso,
  job,
  SAMPLE_FLOWS,
  sampleJobs,
  T0,
  UNFINISHED,
} from "./job-samples.js";

export interface StoreFixture {
  store: Store;
  cleanup(): Promise<void>;
}

type Filters = Omit<JobQuery, "limit" | "offset" | "cursor">;

/** Declares the behaviour every Store implementation must show; each runner file calls it with its own store. */
export function defineStoreContract(name: string, makeStore: () => Promise<StoreFixture>): void {
  describe(`${name} keeps the Store contract`, () => {
    describe("flows", () => defineFlowTests(freshStoreForEachTest(makeStore)));
    describe("jobs", () => defineJobTests(freshStoreForEachTest(makeStore)));
    describe("listJobs over 1 200 jobs in every status and flow, with creation-time ties", () =>
      defineListWalks(makeStore));
    describe("listJobs paging rules", () => defineListRules(freshStoreForEachTest(makeStore)));
    describe("event logs", () => defineEventTests(freshStoreForEachTest(makeStore)));
    describe("breakpoints", () => defineBreakpointTests(freshStoreForEachTest(makeStore)));
    describe("sweep", () => defineSweepTests(freshStoreForEachTest(makeStore)));
  });
}

function freshStoreForEachTest(makeStore: () => Promise<StoreFixture>): () => Store {
  let fixture: StoreFixture | undefined;
  beforeEach(async () => {
    fixture = await makeStore();
  });
  afterEach(async () => {
    await fixture?.cleanup();
    fixture = undefined;
  });
  return () => fixture!.store;
}

async function saveAll(store: Store, jobs: readonly JobRecord[]): Promise<void> {
  for (const record of jobs) await store.saveJob(record);
}

const everything = (filters: Partial<Filters> = {}): JobQuery => ({
  order: "desc",
  limit: 1000,
  offset: 0,
  ...filters,
});

function defineFlowTests(current: () => Store): void {
  test("a saved flow reads back equal; an unknown one is null", async () => {
    const store = current();
    await store.saveFlow(flow("demo"));
    expect(await store.getFlow("demo")).toEqual(flow("demo"));
    expect(await store.getFlow("nope")).toBeNull();
  });

  test("saving a flow again replaces it", async () => {
    const store = current();
    await store.saveFlow(flow("demo"));
    await store.saveFlow(flow("demo", { max_workers: 9, connections: [], updated_at: iso(T0 + 1000) }));
    expect(await store.getFlow("demo")).toEqual(
      flow("demo", { max_workers: 9, connections: [], updated_at: iso(T0 + 1000) }),
    );
    expect(await store.listFlows()).toHaveLength(1);
  });

  test("flows are listed by flow_id", async () => {
    const store = current();
    for (const flowId of ["zeta", "alpha", "mid"]) await store.saveFlow(flow(flowId));
    expect((await store.listFlows()).map((f) => f.flow_id)).toEqual(["alpha", "mid", "zeta"]);
  });

  test("deleting says whether there was such a flow", async () => {
    const store = current();
    await store.saveFlow(flow("demo"));
    expect(await store.deleteFlow("demo")).toBe(true);
    expect(await store.deleteFlow("demo")).toBe(false);
    expect(await store.getFlow("demo")).toBeNull();
    expect(await store.listFlows()).toEqual([]);
  });

  test("changing a flow object after saving it, or one read back, changes nothing stored", async () => {
    const store = current();
    const original = flow("demo");
    await store.saveFlow(original);
    original.max_workers = 99;
    const read = (await store.getFlow("demo"))!;
    read.routines = {};
    expect(await store.getFlow("demo")).toEqual(flow("demo"));
  });
}

function defineJobTests(current: () => Store): void {
  test("saveJob inserts an unknown job and replaces a known one", async () => {
    const store = current();
    await store.saveJob(job({ job_id: "j1" }));
    const started = job({ job_id: "j1", status: "running", started_at: iso(T0 + 5) });
    await store.saveJob(started);
    expect(await store.getJob("j1")).toEqual(started);
    expect((await store.listJobs(everything())).total).toBe(1);
  });

  test("an unknown job is null", async () => {
    expect(await current().getJob("nope")).toBeNull();
  });

  test("changing the caller's object after saveJob changes nothing stored", async () => {
    const store = current();
    const record = job({ job_id: "j1" });
    await store.saveJob(record);
    record.status = "failed";
    expect((await store.getJob("j1"))?.status).toBe("pending");
    expect((await store.listJobs(everything({ status: "pending" }))).total).toBe(1);
  });

  test("status and flow changes move jobs between the lists, and every total follows", async () => {
    const store = current();
    const jobs = sampleJobs(240, 3, 7);
    await saveAll(store, jobs);
    const moved = jobs.map((record, i) =>
      i % 3 === 0
        ? { ...record, status: JOB_STATUSES[(JOB_STATUSES.indexOf(record.status) + 1 + (i % 5)) % 6]! }
        : i % 7 === 0
          ? { ...record, flow_id: SAMPLE_FLOWS[i % SAMPLE_FLOWS.length]! }
          : record,
    );
    await saveAll(store, moved);
    for (const flowId of [undefined, ...SAMPLE_FLOWS]) {
      for (const status of [undefined, ...JOB_STATUSES]) {
        const filters = { order: "desc" as const, flow_id: flowId, status };
        const page = await store.listJobs(everything(filters));
        expect({ flowId, status, ids: ids(page.jobs), total: page.total }).toEqual({
          flowId,
          status,
          ids: ids(expectedJobs(moved, filters)),
          total: expectedJobs(moved, filters).length,
        });
      }
    }
  });

  test("jobsWithStatus returns exactly the jobs in any of the statuses", async () => {
    const store = current();
    const jobs = sampleJobs(120);
    await saveAll(store, jobs);
    const wanted = ["running", "paused", "running"] as const;
    const found = await store.jobsWithStatus(wanted);
    expect(ids(found).sort()).toEqual(ids(jobs.filter((j) => wanted.includes(j.status as "running"))).sort());
    expect(await store.jobsWithStatus([])).toEqual([]);
  });
}

/** One store, seeded once, read by many tests: every filter combination, both orders, walked both ways. */
function defineListWalks(makeStore: () => Promise<StoreFixture>): void {
  const all = sampleJobs(1200);
  const oldestFirst = expectedJobs(all, { order: "asc" });
  // Bounds fall on instants several jobs share, so inclusive and exclusive are both put to the test.
  const after = oldestFirst[300]!.created_at;
  const before = oldestFirst[900]!.created_at;
  const dateRanges = [
    {},
    { created_after: after },
    { created_before: before },
    { created_after: after, created_before: before },
  ];
  const pageSize = 47;
  let fixture: StoreFixture;

  beforeAll(async () => {
    fixture = await makeStore();
    await saveAll(fixture.store, all);
  });
  afterAll(async () => {
    await fixture.cleanup();
  });

  for (const order of ["desc", "asc"] as const) {
    for (const flowId of [undefined, ...SAMPLE_FLOWS]) {
      for (const status of [undefined, ...JOB_STATUSES]) {
        for (const range of dateRanges) {
          const filters: Filters = { order, flow_id: flowId, status, ...range };
          const label = describeFilters(filters);

          test(`${label}: a cursor walk returns every match once, in order, each page with the exact total`, async () => {
            const expected = expectedJobs(all, filters);
            const pages = await walkByCursor(fixture.store, filters, pageSize);
            expect(pages.flatMap((page) => ids(page.jobs))).toEqual(ids(expected));
            expect(pages.map((page) => page.total)).toEqual(pages.map(() => expected.length));
            expect(pages.slice(0, -1).every((page) => page.jobs.length === pageSize)).toBe(true);
          });

          test(`${label}: an offset walk returns the same, and each page's cursor continues where it ended`, async () => {
            const expected = expectedJobs(all, filters);
            const seen: string[] = [];
            let offset = 0;
            let previous: JobPage | undefined;
            do {
              const page = await fixture.store.listJobs({ ...filters, limit: pageSize, offset });
              expect(page.total).toBe(expected.length);
              expect(page.next_cursor !== null).toBe(offset + pageSize < expected.length);
              if (previous?.next_cursor) {
                const continued = await fixture.store.listJobs({
                  ...filters,
                  limit: pageSize,
                  offset: 0,
                  cursor: previous.next_cursor,
                });
                expect(ids(continued.jobs)).toEqual(ids(page.jobs));
              }
              seen.push(...ids(page.jobs));
              previous = page;
              offset += pageSize;
            } while (offset < expected.length);
            expect(seen).toEqual(ids(expected));
          });
        }
      }
    }
  }
}

function describeFilters(filters: Filters): string {
  const parts = [
    `order=${filters.order}`,
    `flow=${filters.flow_id ?? "any"}`,
    `status=${filters.status ?? "any"}`,
  ];
  if (filters.created_after) parts.push("created_after");
  if (filters.created_before) parts.push("created_before");
  return parts.join(" ");
}

async function walkByCursor(store: Store, filters: Filters, limit: number): Promise<JobPage[]> {
  const pages: JobPage[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listJobs({ ...filters, limit, offset: 0, cursor });
    pages.push(page);
    cursor = page.next_cursor ?? undefined;
    // A cursor that does not advance would loop forever; no list here is longer than this.
    if (pages.length > 10_000) throw new Error("cursor walk does not end");
  } while (cursor);
  return pages;
}

function defineListRules(current: () => Store): void {
  test("newest first by default order, ties broken by job_id in the same direction", async () => {
    const store = current();
    await saveAll(store, [
      job({ job_id: "b", created_at: iso(T0) }),
      job({ job_id: "c", created_at: iso(T0 + 1) }),
      job({ job_id: "a", created_at: iso(T0) }),
    ]);
    expect(ids((await store.listJobs(everything())).jobs)).toEqual(["c", "b", "a"]);
    expect(ids((await store.listJobs(everything({ order: "asc" }))).jobs)).toEqual(["a", "b", "c"]);
  });

  test("created_after is inclusive and created_before exclusive, in any ISO-8601 spelling of the instant", async () => {
    const store = current();
    await saveAll(
      store,
      [0, 1000, 2000].map((ms) => job({ job_id: `at_${ms}`, created_at: iso(T0 + ms) })),
    );
    const inclusive = await store.listJobs(everything({ created_after: "2026-01-15T08:00:01Z" }));
    expect(ids(inclusive.jobs)).toEqual(["at_2000", "at_1000"]);
    const exclusive = await store.listJobs(everything({ created_before: "2026-01-15T09:00:01+01:00" }));
    expect(ids(exclusive.jobs)).toEqual(["at_0"]);
  });

  test("a page past the end is empty, keeps the total and has no cursor", async () => {
    const store = current();
    await saveAll(store, sampleJobs(10));
    expect(await store.listJobs({ order: "desc", limit: 5, offset: 10 })).toEqual({
      jobs: [],
      total: 10,
      next_cursor: null,
    });
  });

  test("a page holding the last match has no cursor", async () => {
    const store = current();
    await saveAll(store, sampleJobs(10));
    const page = await store.listJobs({ order: "asc", limit: 5, offset: 5 });
    expect(page.jobs).toHaveLength(5);
    expect(page.next_cursor).toBeNull();
  });

  test("with a cursor, offset is ignored", async () => {
    const store = current();
    await saveAll(store, sampleJobs(30));
    const first = await store.listJobs({ order: "desc", limit: 10, offset: 0 });
    const withOffset = await store.listJobs({
      order: "desc",
      limit: 10,
      offset: 7,
      cursor: first.next_cursor!,
    });
    const withoutOffset = await store.listJobs({
      order: "desc",
      limit: 10,
      offset: 0,
      cursor: first.next_cursor!,
    });
    expect(ids(withOffset.jobs)).toEqual(ids(withoutOffset.jobs));
  });

  for (const order of ["desc", "asc"] as const) {
    test(`${order}: a job created during a cursor walk neither duplicates nor skips the others`, async () => {
      const store = current();
      const jobs = sampleJobs(100, 4);
      await saveAll(store, jobs);
      const seen: string[] = [];
      let page = await store.listJobs({ order, limit: 30, offset: 0 });
      seen.push(...ids(page.jobs));
      await store.saveJob(job({ job_id: "newcomer", created_at: iso(T0 + 60_000) }));
      while (page.next_cursor) {
        page = await store.listJobs({ order, limit: 30, offset: 0, cursor: page.next_cursor });
        seen.push(...ids(page.jobs));
      }
      const expected = ids(expectedJobs(jobs, { order }));
      // Newest first, the newcomer lands before the pages already read; oldest first, it is the last one read.
      expect(seen).toEqual(order === "desc" ? expected : [...expected, "newcomer"]);
    });
  }

  test("a cursor means strictly after its job's position, even when that job has since left the filter", async () => {
    const store = current();
    const jobs = sampleJobs(60, 3).map((record) => ({ ...record, status: "running" as const }));
    await saveAll(store, jobs);
    const first = await store.listJobs({ order: "desc", status: "running", limit: 20, offset: 0 });
    await store.saveJob({ ...first.jobs.at(-1)!, status: "completed" });
    const second = await store.listJobs({
      order: "desc",
      status: "running",
      limit: 20,
      offset: 0,
      cursor: first.next_cursor!,
    });
    expect(ids(second.jobs)).toEqual(ids(expectedJobs(jobs, { order: "desc" }).slice(20, 40)));
  });

  test("an unreadable cursor or date bound is refused with InvalidJobQueryError", async () => {
    const store = current();
    await expect(
      store.listJobs({ order: "desc", limit: 10, offset: 0, cursor: "not-a-cursor" }),
    ).rejects.toThrow(InvalidJobQueryError);
    await expect(
      store.listJobs({ order: "desc", limit: 10, offset: 0, cursor: "v1.bm9wZQ" }),
    ).rejects.toThrow(InvalidJobQueryError);
    await expect(
      store.listJobs({ order: "desc", limit: 10, offset: 0, created_after: "yesterday" }),
    ).rejects.toThrow(InvalidJobQueryError);
  });
}

function defineEventTests(current: () => Store): void {
  test("a job with no log reads as empty, last_seq 0, oldest_seq 1", async () => {
    expect(await current().readEvents("nope", 0, 10)).toEqual({ events: [], last_seq: 0, oldest_seq: 1 });
  });

  test("appended events read back in seq order, data and all, across several appends", async () => {
    const store = current();
    await store.appendEvents("j1", events("j1", 1, 3));
    await store.appendEvents("j1", []);
    await store.appendEvents("j1", events("j1", 4, 6));
    expect(await store.readEvents("j1", 0, 100)).toEqual({
      events: events("j1", 1, 6),
      last_seq: 6,
      oldest_seq: 1,
    });
  });

  test("since and limit select the events after a seq, at most limit of them", async () => {
    const store = current();
    await store.appendEvents("j1", events("j1", 1, 10));
    expect((await store.readEvents("j1", 4, 3)).events).toEqual(events("j1", 5, 7));
    expect(await store.readEvents("j1", 10, 5)).toEqual({ events: [], last_seq: 10, oldest_seq: 1 });
    expect((await store.readEvents("j1", 0, 0)).events).toEqual([]);
  });

  test("each job has its own log", async () => {
    const store = current();
    await store.appendEvents("j1", events("j1", 1, 3));
    await store.appendEvents("j2", events("j2", 1, 2));
    expect((await store.readEvents("j1", 0, 100)).events).toEqual(events("j1", 1, 3));
    expect((await store.readEvents("j2", 0, 100)).events).toEqual(events("j2", 1, 2));
  });

  test("truncation drops the oldest events, oldest_seq says so, and the log goes on from its last seq", async () => {
    const store = current();
    await store.appendEvents("j1", events("j1", 1, 10));
    await store.truncateEvents("j1", 3);
    expect(await store.readEvents("j1", 0, 100)).toEqual({
      events: events("j1", 8, 10),
      last_seq: 10,
      oldest_seq: 8,
    });
    await store.appendEvents("j1", events("j1", 11, 11));
    expect(await store.readEvents("j1", 9, 100)).toEqual({
      events: events("j1", 10, 11),
      last_seq: 11,
      oldest_seq: 8,
    });
  });

  test("a log truncated to nothing still knows its last seq", async () => {
    const store = current();
    await store.appendEvents("j1", events("j1", 1, 5));
    await store.truncateEvents("j1", 0);
    expect(await store.readEvents("j1", 0, 100)).toEqual({ events: [], last_seq: 5, oldest_seq: 6 });
    await store.appendEvents("j1", events("j1", 6, 7));
    expect(await store.readEvents("j1", 0, 100)).toEqual({
      events: events("j1", 6, 7),
      last_seq: 7,
      oldest_seq: 6,
    });
  });

  test("truncating to more than the log holds, or a log that does not exist, changes nothing", async () => {
    const store = current();
    await store.appendEvents("j1", events("j1", 1, 4));
    await store.truncateEvents("j1", 10);
    await store.truncateEvents("nope", 1);
    expect(await store.readEvents("j1", 0, 100)).toEqual({
      events: events("j1", 1, 4),
      last_seq: 4,
      oldest_seq: 1,
    });
    expect(await store.readEvents("nope", 0, 100)).toEqual({ events: [], last_seq: 0, oldest_seq: 1 });
  });
}

function defineBreakpointTests(current: () => Store): void {
  const breakpoint = (jobId: string, breakpointId: string, fields: Record<string, unknown> = {}) => ({
    job_id: jobId,
    breakpoint_id: breakpointId,
    type: "slot",
    routine_id: "transformer",
    slot_name: "input",
    condition: "index >= 2",
    enabled: true,
    hit_count: 0,
    ...fields,
  });

  test("breakpoints are listed per job in the order they were first saved, every field kept", async () => {
    const store = current();
    await store.saveBreakpoint(breakpoint("j1", "bp_z"));
    await store.saveBreakpoint(breakpoint("j1", "bp_a", { condition: null, extra: { nested: [1, 2] } }));
    await store.saveBreakpoint(breakpoint("j2", "bp_m"));
    expect(await store.listBreakpoints("j1")).toEqual([
      breakpoint("j1", "bp_z"),
      breakpoint("j1", "bp_a", { condition: null, extra: { nested: [1, 2] } }),
    ]);
    expect(await store.listBreakpoints("j2")).toEqual([breakpoint("j2", "bp_m")]);
    expect(await store.listBreakpoints("none")).toEqual([]);
  });

  test("saving a breakpoint again updates it where it stands", async () => {
    const store = current();
    await store.saveBreakpoint(breakpoint("j1", "bp_1"));
    await store.saveBreakpoint(breakpoint("j1", "bp_2"));
    await store.saveBreakpoint(breakpoint("j1", "bp_1", { enabled: false, hit_count: 3 }));
    expect(await store.listBreakpoints("j1")).toEqual([
      breakpoint("j1", "bp_1", { enabled: false, hit_count: 3 }),
      breakpoint("j1", "bp_2"),
    ]);
  });

  test("deleting says whether there was such a breakpoint and touches no other", async () => {
    const store = current();
    await store.saveBreakpoint(breakpoint("j1", "bp_1"));
    await store.saveBreakpoint(breakpoint("j2", "bp_1"));
    expect(await store.deleteBreakpoint("j1", "bp_1")).toBe(true);
    expect(await store.deleteBreakpoint("j1", "bp_1")).toBe(false);
    expect(await store.listBreakpoints("j1")).toEqual([]);
    expect(await store.listBreakpoints("j2")).toEqual([breakpoint("j2", "bp_1")]);
  });
}

function defineSweepTests(current: () => Store): void {
  /** Ten finished jobs (created and completed in id order) and three unfinished ones older than all of them. */
  async function seed(store: Store): Promise<JobRecord[]> {
    const finished = Array.from({ length: 10 }, (_, i) =>
      job({
        job_id: `done_${i}`,
        status: FINISHED[i % 3]!,
        created_at: iso(T0 + 100 + i),
        completed_at: iso(T0 + 1000 + i),
      }),
    );
    const unfinished = UNFINISHED.map((status, i) =>
      job({ job_id: `open_${status}`, status, created_at: iso(T0 + i) }),
    );
    const jobs = [...unfinished, ...finished];
    for (const record of jobs) {
      await store.saveJob(record);
      await store.appendEvents(record.job_id, events(record.job_id, 1, 3));
      await store.saveBreakpoint({ job_id: record.job_id, breakpoint_id: "bp", type: "routine" });
    }
    return jobs;
  }

  async function expectOnly(
    store: Store,
    all: readonly JobRecord[],
    keptIds: readonly string[],
  ): Promise<void> {
    const kept = all.filter((record) => keptIds.includes(record.job_id));
    expect(ids((await store.listJobs(everything({ order: "asc" }))).jobs)).toEqual(
      ids(expectedJobs(kept, { order: "asc" })),
    );
    for (const status of JOB_STATUSES) {
      expect((await store.listJobs(everything({ status }))).total).toBe(
        kept.filter((j) => j.status === status).length,
      );
    }
    for (const record of all) {
      const stays = keptIds.includes(record.job_id);
      expect(await store.getJob(record.job_id)).toEqual(stays ? record : null);
      expect((await store.readEvents(record.job_id, 0, 100)).events).toHaveLength(stays ? 3 : 0);
      expect(await store.listBreakpoints(record.job_id)).toHaveLength(stays ? 1 : 0);
    }
  }

  const open = UNFINISHED.map((status) => `open_${status}`);
  const done = (...indexes: number[]) => indexes.map((i) => `done_${i}`);

  test("by count, the newest finished jobs stay and the rest go with their events and breakpoints", async () => {
    const store = current();
    const all = await seed(store);
    expect(await store.sweep({ maxJobs: 4 })).toBe(6);
    await expectOnly(store, all, [...open, ...done(6, 7, 8, 9)]);
  });

  test("by age, finished jobs completed before the instant go, those completed at it stay", async () => {
    const store = current();
    const all = await seed(store);
    expect(await store.sweep({ finishedBefore: iso(T0 + 1005) })).toBe(5);
    await expectOnly(store, all, [...open, ...done(5, 6, 7, 8, 9)]);
  });

  test("count and age together remove what either would", async () => {
    const store = current();
    const all = await seed(store);
    expect(await store.sweep({ maxJobs: 8, finishedBefore: iso(T0 + 1001) })).toBe(2);
    await expectOnly(store, all, [...open, ...done(2, 3, 4, 5, 6, 7, 8, 9)]);
  });

  test("maxJobs 0 removes every finished job and no unfinished one", async () => {
    const store = current();
    const all = await seed(store);
    expect(await store.sweep({ maxJobs: 0, finishedBefore: iso(T0 + 99_999) })).toBe(10);
    await expectOnly(store, all, open);
  });

  test("an empty policy removes nothing", async () => {
    const store = current();
    const all = await seed(store);
    expect(await store.sweep({})).toBe(0);
    await expectOnly(store, all, ids(all));
  });
}
