import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { JobList } from "../../src/api/schemas/jobs.js";
import { JOB_STATUSES, type JobRecord } from "../../src/core/types.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import { startServer, type TestServer } from "../support/server.js";

/**
 * `GET /api/jobs` pages exactly: over 1 000 jobs in every status, three flows and many shared creation instants,
 * walking every page by offset and by cursor gives back the reference answer — the same jobs, in the same order,
 * none twice, none missing — for each combination of filters.
 */

const FLOWS = ["linear_flow", "branching_flow", "error_flow"] as const;
const T0 = Date.parse("2026-01-15T08:00:00.000Z");
const COUNT = 1000;

/** Deterministic: job i gets a status, a flow and one of 60 instants (so ~17 jobs share each instant). */
function seedJobs(): JobRecord[] {
  const jobs: JobRecord[] = [];
  for (let i = 0; i < COUNT; i++) {
    const status = JOB_STATUSES[(i * 7) % JOB_STATUSES.length]!;
    const created = T0 + ((i * 37) % 60) * 1000;
    jobs.push({
      // Ids that do not follow creation order, so ties on created_at are broken by id, not by insertion.
      job_id: `job-${((i * 7919) % 100_003).toString(36).padStart(4, "0")}-${i}`,
      flow_id: FLOWS[(i * 5) % FLOWS.length]!,
      status,
      created_at: new Date(created).toISOString(),
      started_at: status === "pending" ? null : new Date(created + 10).toISOString(),
      completed_at: ["completed", "failed", "cancelled"].includes(status)
        ? new Date(created + 500).toISOString()
        : null,
      error: status === "failed" ? "boom" : null,
    });
  }
  return jobs;
}

interface Filters {
  flow_id?: string;
  status?: string;
  created_after?: string;
  created_before?: string;
  order?: "asc" | "desc";
}

/** The answer by brute force: filter everything, sort by (created_at, job_id), newest first unless asc. */
function reference(all: JobRecord[], f: Filters): string[] {
  const matches = all.filter(
    (j) =>
      (f.flow_id === undefined || j.flow_id === f.flow_id) &&
      (f.status === undefined || j.status === f.status) &&
      (f.created_after === undefined || j.created_at >= f.created_after) &&
      (f.created_before === undefined || j.created_at < f.created_before),
  );
  matches.sort((a, b) =>
    a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.job_id < b.job_id ? -1 : 1,
  );
  if (f.order !== "asc") matches.reverse();
  return matches.map((j) => j.job_id);
}

const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

const COMBINATIONS: Filters[] = [
  {},
  { status: "failed" },
  { status: "pending", order: "asc" },
  { flow_id: "branching_flow" },
  { flow_id: "error_flow", status: "running" },
  { created_after: at(10), created_before: at(40) },
  { flow_id: "linear_flow", created_after: at(20), order: "asc" },
  { status: "cancelled", created_before: at(30), order: "desc" },
  { flow_id: "linear_flow", status: "completed", created_after: at(5), created_before: at(55), order: "asc" },
  { status: "paused", created_after: at(59) },
  { flow_id: "nobody_flow" },
];

const describeFilters = (f: Filters) => JSON.stringify(f);

describe("paging over 1 000 jobs", () => {
  let api: TestServer;
  let jobs: JobRecord[];
  const store = new MemoryStore();

  beforeAll(async () => {
    api = await startServer({}, { store });
    // Seeded after start-up: the server marks unfinished jobs it finds at start as interrupted.
    jobs = seedJobs();
    for (const job of jobs) await store.saveJob(job);
  });
  afterAll(async () => {
    await api?.close();
  });

  const query = (f: Filters, extra: Record<string, string>) =>
    new URLSearchParams({ ...(f as Record<string, string>), ...extra }).toString();

  test("the seed covers every status, every flow and shared instants", () => {
    expect(new Set(jobs.map((j) => j.status))).toEqual(new Set(JOB_STATUSES));
    expect(new Set(jobs.map((j) => j.flow_id)).size).toBe(3);
    expect(new Set(jobs.map((j) => j.created_at)).size).toBe(60);
  });

  test.each(COMBINATIONS.map((f) => [describeFilters(f), f] as const))(
    "by offset: %s",
    async (_, filters) => {
      const expected = reference(jobs, filters);
      const seen: string[] = [];
      for (let offset = 0; ; offset += 97) {
        const { status, body } = await api.request(
          "GET",
          `/api/jobs?${query(filters, { limit: "97", offset: String(offset) })}`,
        );
        expect(status).toBe(200);
        const page = JobList.parse(body);
        expect(page).toMatchObject({ total: expected.length, limit: 97, offset });
        seen.push(...page.jobs.map((j) => j.job_id));
        if (offset + 97 >= expected.length) {
          expect(page.next_cursor).toBeNull();
          break;
        }
        expect(page.jobs).toHaveLength(97);
      }
      expect(seen).toEqual(expected);
    },
  );

  test.each(COMBINATIONS.map((f) => [describeFilters(f), f] as const))(
    "by cursor: %s",
    async (_, filters) => {
      const expected = reference(jobs, filters);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const extra: Record<string, string> = { limit: "101", ...(cursor ? { cursor } : {}) };
        const { status, body } = await api.request("GET", `/api/jobs?${query(filters, extra)}`);
        expect(status).toBe(200);
        const page = JobList.parse(body);
        expect(page.total).toBe(expected.length);
        seen.push(...page.jobs.map((j) => j.job_id));
        cursor = page.next_cursor;
        expect(++pages).toBeLessThanOrEqual(Math.ceil(expected.length / 101) + 1);
      } while (cursor);
      expect(seen).toEqual(expected);
    },
  );

  // Last: it adds a job to the store.
  test("a cursor keeps its place while newer jobs arrive; an offset shifts", async () => {
    const first = JobList.parse((await api.request("GET", "/api/jobs?status=failed&limit=50")).body);
    const expectedNext = reference(jobs, { status: "failed" }).slice(50, 100);
    await store.saveJob({ ...jobs[0]!, job_id: "zz-newest", status: "failed", created_at: at(3600) });

    const cursor = encodeURIComponent(first.next_cursor!);
    const byCursor = JobList.parse(
      (await api.request("GET", `/api/jobs?status=failed&limit=50&cursor=${cursor}`)).body,
    );
    expect(byCursor.jobs.map((j) => j.job_id)).toEqual(expectedNext);
    const byOffset = JobList.parse(
      (await api.request("GET", "/api/jobs?status=failed&limit=50&offset=50")).body,
    );
    expect(byOffset.jobs[0]!.job_id).toBe(first.jobs.at(-1)!.job_id);
  });
});
