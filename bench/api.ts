import { Hono } from "hono";
import { createApp } from "../src/api/app.js";
import type { AppEnv } from "../src/api/env.js";
import { silentLogger } from "../src/api/logger.js";
import { loadConfig } from "../src/config.js";
import { JOB_STATUSES, type JobRecord } from "../src/core/types.js";
import { defaultRegistry } from "../src/routines/index.js";
import { MemoryStore } from "../src/service/memory-store.js";
import { createServices } from "../src/service/services.js";
import type { BenchRow } from "./report.js";
import { percentile } from "./report.js";

/**
 * The HTTP API in process (`app.request()`, full middleware stack, body read to the end), over 100 000 jobs in a
 * MemoryStore:
 * - latency of three job-list pages beside the naive way (filter an array of every job, then slice, then
 *   serialise the same reply), and
 * - requests/s of `GET /api/jobs/{id}` beside a bare Hono route behind the same middleware and a bare Hono app.
 *
 * Run alone: `npm run bench -- api`.
 */

const JOB_COUNT = 100_000;
const DEEP = 50_000;
const PAGE = 100;
const WARMUP = 300;
/** Seeding 100 000 jobs leaves the collector busy for a while; the first page measured would pay for it alone. */
const SETTLE_MS = 2_000;
const API_RUNS = 1000;
const NAIVE_RUNS = 100;
const BLOCKS = 5;
const AFTER_SWITCH = 30;
const THROUGHPUT_ROUNDS = 7;
const THROUGHPUT_ROUND_MS = 300;
const FLOWS = ["linear_flow", "branching_flow", "complex_flow", "error_flow"];
const T0 = Date.parse("2026-01-01T00:00:00.000Z");

function benchJobs(count: number): JobRecord[] {
  const jobs: JobRecord[] = [];
  for (let i = 0; i < count; i++) {
    const created = new Date(T0 + i * 10).toISOString();
    const status = JOB_STATUSES[(i * 7) % JOB_STATUSES.length]!;
    jobs.push({
      job_id: `job-${i.toString(36).padStart(6, "0")}`,
      flow_id: FLOWS[i % FLOWS.length]!,
      status,
      created_at: created,
      started_at: status === "pending" ? null : created,
      completed_at: null,
      error: status === "failed" ? "boom" : null,
    });
  }
  return jobs;
}

interface Latency {
  p50: number;
  p99: number;
}

const latency = (samples: number[]): Latency => {
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
};

async function timed(once: () => Promise<unknown>, into: number[]): Promise<void> {
  const started = performance.now();
  await once();
  into.push(performance.now() - started);
}

/**
 * Latencies of the API and of its baseline, sampled in alternating blocks so that both see the same machine: on a
 * shared VM the speed of a core drifts by up to 2× for seconds at a time, which would otherwise land on one side
 * of the ratio only. Blocks rather than single runs, and a few unmeasured requests after each naive block, because
 * the collection of the naive runs' garbage (an array of 100 000 jobs each) falls on whatever runs next.
 */
async function pairedTimings(
  api: () => Promise<unknown>,
  naive: () => Promise<unknown>,
): Promise<{ api: Latency; naive: Latency }> {
  for (let i = 0; i < WARMUP; i++) await api();
  const apiSamples: number[] = [];
  const naiveSamples: number[] = [];
  for (let block = 0; block < BLOCKS; block++) {
    for (let i = 0; i < AFTER_SWITCH; i++) await api();
    for (let i = 0; i < API_RUNS / BLOCKS; i++) await timed(api, apiSamples);
    for (let i = 0; i < NAIVE_RUNS / BLOCKS; i++) await timed(naive, naiveSamples);
  }
  return { api: latency(apiSamples), naive: latency(naiveSamples) };
}

/**
 * Requests per second of each target, measured in alternating short rounds (median of the rounds), so that the
 * machine's load drifting during the run weighs on every target alike.
 */
async function throughputs(targets: Array<() => Promise<unknown>>): Promise<number[]> {
  for (const once of targets) for (let i = 0; i < WARMUP * 3; i++) await once();
  const rates: number[][] = targets.map(() => []);
  for (let round = 0; round < THROUGHPUT_ROUNDS; round++) {
    for (const [index, once] of targets.entries()) {
      let count = 0;
      const started = performance.now();
      while (performance.now() - started < THROUGHPUT_ROUND_MS) {
        await once();
        count++;
      }
      rates[index]!.push(count / ((performance.now() - started) / 1000));
    }
  }
  return rates.map((samples) =>
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    ),
  );
}

export async function benchApi(): Promise<BenchRow[]> {
  const config = loadConfig({ ROUTILUX_STORE: "memory" });
  const store = new MemoryStore();
  const services = await createServices({ store, registry: defaultRegistry() });
  // Seeded after start-up, which marks unfinished jobs it finds as interrupted.
  const jobs = benchJobs(JOB_COUNT);
  for (const job of jobs) await store.saveJob(job);
  const sample = jobs[JOB_COUNT / 2]!;

  const app = createApp({
    jobs: services.jobs,
    flows: services.flows,
    config,
    logger: silentLogger,
    audit: { record: () => {} },
    extraRoutes: [() => new Hono<AppEnv>().get("/bench/bare/:job_id", (c) => c.json(sample))],
  });
  const bareApp = new Hono().get("/bench/bare/:job_id", (c) => c.json(sample));

  const get =
    (target: { request: (path: string) => Response | Promise<Response> }, path: string) => async () => {
      const response = await target.request(path);
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.text();
    };

  // The naive list: every job in one array (newest first), filtered and sliced per request.
  const newestFirst = [...jobs].reverse();
  const naive = (keep: (job: JobRecord) => boolean, offset: number) => async () => {
    const matches = newestFirst.filter(keep);
    const page = matches.slice(offset, offset + PAGE);
    return JSON.stringify({ jobs: page, total: matches.length, limit: PAGE, offset, next_cursor: null });
  };

  const firstPage = await (await app.request(`/api/jobs?limit=1&offset=${DEEP - 1}`)).json();
  const cursor = encodeURIComponent((firstPage as { next_cursor: string }).next_cursor);

  const pages = [
    {
      name: `GET /api/jobs?status=failed&limit=${PAGE}`,
      path: `/api/jobs?status=failed&limit=${PAGE}`,
      naive: naive((job) => job.status === "failed", 0),
    },
    {
      name: `GET /api/jobs?limit=${PAGE}&offset=${DEEP}`,
      path: `/api/jobs?limit=${PAGE}&offset=${DEEP}`,
      naive: naive(() => true, DEEP),
    },
    {
      name: `GET /api/jobs?limit=${PAGE}&cursor=<at ${DEEP}>`,
      path: `/api/jobs?limit=${PAGE}&cursor=${cursor}`,
      naive: naive(() => true, DEEP),
    },
  ];

  const settleUntil = performance.now() + SETTLE_MS;
  while (performance.now() < settleUntil) for (const page of pages) await get(app, page.path)();

  const rows: BenchRow[] = [];
  for (const page of pages) {
    const { api, naive: base } = await pairedTimings(get(app, page.path), page.naive);
    const note = `${JOB_COUNT.toLocaleString("en-US")} jobs in MemoryStore, in-process app.request()`;
    for (const [which, value, baseline] of [
      ["p50", api.p50, base.p50],
      ["p99", api.p99, base.p99],
    ] as const) {
      rows.push({
        name: `${page.name} ${which}`,
        value,
        unit: "ms",
        baseline,
        baselineName: "filter array + slice",
        lowerIsBetter: true,
        note,
      });
    }
  }

  const jobPath = `/api/jobs/${sample.job_id}`;
  const [routeRate, bareSameApp, bareHono] = (await throughputs([
    get(app, jobPath),
    get(app, `/bench/bare/${sample.job_id}`),
    get(bareApp, `/bench/bare/${sample.job_id}`),
  ])) as [number, number, number];
  rows.push({
    name: "GET /api/jobs/{id} req/s",
    value: routeRate,
    unit: "req/s",
    baseline: bareSameApp,
    baselineName: "bare route, same middleware",
    note: "sequential app.request(), median of 7 alternating rounds; the gap is zod validation + JobService.get",
  });
  rows.push({
    name: "GET /api/jobs/{id} req/s vs bare Hono app",
    value: routeRate,
    unit: "req/s",
    baseline: bareHono,
    baselineName: "bare Hono app",
    note: "the gap is the whole stack: request id, CORS, auth, body rule, validation, service",
  });

  await services.close();
  return rows;
}
