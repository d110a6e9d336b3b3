import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { linearFlowDsl } from "../support/linear-flow-dsl.js";
import {
  api,
  expectSeqsCovered,
  isType,
  openSocket,
  startNodeTarget,
  type WsTarget,
  waitUntil,
} from "../support/ws.js";

const MAX_QUEUE = 1000;
/** linear_flow: 5 + 12 per item → 50 405 events. */
const COUNT = 4200;
const TOTAL = 5 + 12 * COUNT;

/**
 * Twins of linear_flow, made the same way (a DSL dict) so that they differ only in their id: a flow socket watches
 * one and not the other. linear_flow itself would not do as the unwatched side: the DSL's defaults are not its own.
 */
const WATCHED_FLOW = "linear_flow_watched";
const UNWATCHED_FLOW = "linear_flow_unwatched";
const twinOfLinearFlow = (flow_id: string) => ({ flow_id, dsl_dict: linearFlowDsl });

interface Pair {
  watched: { job_id: string; busyMs: number };
  unwatched: { job_id: string; busyMs: number };
}

/**
 * Runs a 50 000-event job of each twin side by side (the engine interleaves their 4 ms slices, so both run under the
 * same load, whatever else the machine does) and resolves with each job's busy time: its delivery loop on the
 * thread, the hub's listener included. `watchedFirst` alternates which one starts first.
 */
async function jobPair(target: WsTarget, watchedFirst: boolean): Promise<Pair> {
  // Started in-process rather than over HTTP, so that both start in the same turn, and only once the previous
  // jobs' events are stored, so that no job pays for the ones before it.
  const jobs = target.services!.jobs;
  await jobs.flushed();
  const order = watchedFirst ? [WATCHED_FLOW, UNWATCHED_FLOW] : [UNWATCHED_FLOW, WATCHED_FLOW];
  const records = await Promise.all(
    order.map((flow_id) =>
      jobs.start({ flow_id, entry_routine_id: "source", entry_params: { data: "x", count: COUNT } }),
    ),
  );
  const live = records.map((record) => jobs.liveJob(record.job_id)!);
  await Promise.all(live.map((job) => job.done));
  const [watched, unwatched] = (watchedFirst ? live : [live[1], live[0]]).map((job) => ({
    job_id: job!.job_id,
    busyMs: job!.busyMs,
  }));
  return { watched: watched!, unwatched: unwatched! };
}

describe("backpressure", () => {
  let target: WsTarget;
  beforeAll(async () => {
    target = await startNodeTarget({ config: { wsMaxQueue: MAX_QUEUE } });
    for (const flow_id of [WATCHED_FLOW, UNWATCHED_FLOW])
      await api(target, "POST", "/api/flows", twinOfLinearFlow(flow_id));
    // Warm up the engine and the JIT on both flows before anything is measured.
    await jobPair(target, true);
  }, 30_000);
  afterAll(() => target.close());

  test("a client that stops reading costs the job (almost) nothing, is told what it missed, and memory stays bounded", async () => {
    const socket = await openSocket(`${target.wsUrl}/api/ws/flows/${WATCHED_FLOW}/monitor`);
    await socket.nextMessage(isType("flow_metrics"));
    socket.stopReading();

    // Until the kernel's and the runtime's socket buffers are full the server still sends: that is a client
    // reading, slowly. Fill them first; what is measured is a client that reads nothing at all.
    for (let filled = -1; filled !== target.hub!.stats().sent_messages; ) {
      filled = target.hub!.stats().sent_messages;
      await jobPair(target, true);
    }

    const pairs: Pair[] = [];
    const heapBefore = process.memoryUsage().heapUsed;
    for (let round = 0; round < 15; round++) {
      pairs.push(await jobPair(target, round % 2 === 0));
      expect(target.hub!.stats().queue_high_water).toBeLessThanOrEqual(MAX_QUEUE);
    }
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const median = (runs: number[]) => [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
    const ratio = median(pairs.map((pair) => pair.watched.busyMs / pair.unwatched.busyMs));
    console.info(
      `50k-event jobs, median of 15 side-by-side pairs: ${median(pairs.map((p) => p.unwatched.busyMs)).toFixed(1)} ms ` +
        `busy without a reader, ${median(pairs.map((p) => p.watched.busyMs)).toFixed(1)} ms with a stalled one ` +
        `(ratio ${ratio.toFixed(3)}); heap +${heapGrowthMb.toFixed(0)} MiB; ${JSON.stringify(target.hub!.stats())}`,
    );
    // The design target is under 10 %, and bench/ws.ts measures about 1.00 (spread 0.94–1.07). The bound leaves
    // room for a loaded CI machine yet fails the routing this replaced, which read 1.24–1.27 here.
    expect(ratio).toBeLessThan(1.08);
    const stats = target.hub!.stats();
    expect(stats.queue_high_water).toBe(MAX_QUEUE);
    expect(stats.dropped_events).toBeGreaterThan(0);
    expect(stats.stalled_connections).toBe(1);

    // Read again: what arrives for the last job (started while the client read nothing) is each event once or
    // inside an `events:dropped` range.
    const stalledJob = pairs.at(-1)!.watched.job_id;
    socket.readAgain();
    const read = await socket.collectUntil(
      (m) => m.type === "flow_job_event" && m.job_id === stalledJob && m.event.type === "job_completed",
      20_000,
    );
    expect(expectSeqsCovered(read, stalledJob, TOTAL)).toBeGreaterThanOrEqual(1);
    await waitUntil(() => target.hub!.stats().stalled_connections === 0);

    // And it follows the flow's next job live again, every event.
    const next = await api(target, "POST", "/api/jobs", {
      flow_id: WATCHED_FLOW,
      entry_routine_id: "source",
      entry_params: { data: "x", count: 2 },
    });
    const live = await socket.collectUntil(
      (m) => m.job_id === next.job_id && m.event?.type === "job_completed",
    );
    expect(expectSeqsCovered(live, next.job_id, 5 + 12 * 2)).toBe(0);
    await socket.close();
  }, 120_000);

  test("a socket that follows a job by id and stops reading is parked, then follows the job live again", async () => {
    // 120 005 events of its routines, held at a breakpoint every 50 items (600 events): the job can be run leg by leg until the
    // client's socket buffers are full and its queue overflows, which is when the hub parks it.
    const job = await api(target, "POST", "/api/jobs", {
      flow_id: "linear_flow",
      entry_routine_id: "source",
      entry_params: { data: "x", count: 10_000 },
      pause_on_start: true,
      breakpoints: [
        { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index % 50 == 49" },
      ],
    });
    const socket = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor`);
    const read = await socket.collectUntil(isType("job_paused"));
    socket.stopReading();
    const resumeLeg = async () => {
      await api(target, "POST", `/api/jobs/${job.job_id}/resume`);
      await waitUntil(async () => (await api(target, "GET", `/api/jobs/${job.job_id}`)).status === "paused");
    };
    for (let legs = 1; target.hub!.stats().stalled_connections === 0; legs++) {
      expect(legs).toBeLessThan(150);
      await resumeLeg();
    }
    // Parked: the events of the legs that follow are neither queued nor dropped one by one, only skipped.
    const droppedWhileParked = target.hub!.stats().dropped_events;
    for (let legs = 0; legs < 5; legs++) await resumeLeg();
    expect(target.hub!.stats().dropped_events).toBe(droppedWhileParked);

    const { breakpoints } = await api(target, "GET", `/api/jobs/${job.job_id}/breakpoints`);
    await api(target, "DELETE", `/api/jobs/${job.job_id}/breakpoints/${breakpoints[0].breakpoint_id}`);
    socket.readAgain();
    await waitUntil(() => target.hub!.stats().stalled_connections === 0);
    await api(target, "POST", `/api/jobs/${job.job_id}/resume`);
    read.push(...(await socket.collectUntil(isType("job_completed"), 20_000)));
    // Its pauses and resumes are logged too.
    const { last_seq } = await api(target, "GET", `/api/jobs/${job.job_id}/events?since=0&limit=1`);
    expect(expectSeqsCovered(read, job.job_id, last_seq)).toBeGreaterThanOrEqual(1);
    await socket.close();
  }, 120_000);
});
