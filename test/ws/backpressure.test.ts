import type { Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { linearFlowDsl } from "../support/linear-flow-dsl.js";
import { api, isType, type Message, openSocket, startNodeTarget, type WsTarget } from "../support/ws.js";

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

/**
 * Runs one 50 000-event job and resolves with the CPU time this process spent while it ran. The server is in this
 * process and the stalled client does nothing, so this is the job plus whatever the sockets cost it; unlike wall
 * time it does not count other processes on a busy machine.
 */
async function timedJob(target: WsTarget, flow_id: string): Promise<{ job_id: string; ms: number }> {
  // Started in-process rather than over HTTP, so that the measurement begins before the job's first slice, and
  // only once the previous job's events are stored, so that no job pays for the one before it.
  const jobs = target.services!.jobs;
  await jobs.flushed();
  await new Promise((resolve) => setTimeout(resolve, 5));
  const before = process.cpuUsage();
  const record = await jobs.start({
    flow_id,
    entry_routine_id: "source",
    entry_params: { data: "x", count: COUNT },
  });
  const job = jobs.liveJob(record.job_id)!;
  await job.done;
  const used = process.cpuUsage(before);
  return { job_id: record.job_id, ms: (used.user + used.system) / 1000 };
}

describe("backpressure", () => {
  let target: WsTarget;
  beforeAll(async () => {
    target = await startNodeTarget({ config: { wsMaxQueue: MAX_QUEUE } });
    for (const flow_id of [WATCHED_FLOW, UNWATCHED_FLOW])
      await api(target, "POST", "/api/flows", twinOfLinearFlow(flow_id));
    // Warm up the engine and the JIT on both flows before anything is measured.
    await timedJob(target, UNWATCHED_FLOW);
    await timedJob(target, WATCHED_FLOW);
  }, 30_000);
  afterAll(() => target.close());

  test("a client that stops reading costs the job (almost) nothing, is told what it missed, and memory stays bounded", async () => {
    const socket = await openSocket(`${target.wsUrl}/api/ws/flows/${WATCHED_FLOW}/monitor`);
    await socket.nextMessage(isType("flow_metrics"));
    // Stop reading at the TCP level: the kernel buffers fill, then the server's socket buffer, then our queue.
    const tcp = (socket.ws as unknown as { _socket: Socket })._socket;
    tcp.pause();

    // Until the kernel's and the runtime's socket buffers are full the server still sends: that is a client
    // reading, slowly. Fill them first; what is measured is a client that reads nothing at all.
    for (let filled = -1; filled !== target.hub!.stats().sent_messages; ) {
      filled = target.hub!.stats().sent_messages;
      await timedJob(target, WATCHED_FLOW);
    }

    const withoutReader: number[] = [];
    const withStalledReader: number[] = [];
    let stalledJob = "";
    const heapBefore = process.memoryUsage().heapUsed;
    // Interleaved, in alternating order, so drift (GC, the growing store) weighs on both sides alike.
    for (let round = 0; round < 15; round++) {
      const pair = round % 2 === 0 ? [UNWATCHED_FLOW, WATCHED_FLOW] : [WATCHED_FLOW, UNWATCHED_FLOW];
      for (const flow_id of pair) {
        const run = await timedJob(target, flow_id);
        if (flow_id === UNWATCHED_FLOW) withoutReader.push(run.ms);
        else {
          withStalledReader.push(run.ms);
          stalledJob = run.job_id;
        }
      }
      expect(target.hub!.stats().queue_high_water).toBeLessThanOrEqual(MAX_QUEUE);
    }
    const heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    const median = (runs: number[]) => [...runs].sort((a, b) => a - b)[Math.floor(runs.length / 2)]!;
    // Each round's two runs ran back to back under the same load (other test files run meanwhile): compare within
    // rounds, then take the middle round.
    const ratio = median(withStalledReader.map((ms, round) => ms / withoutReader[round]!));
    console.info(
      `50k-event job, median of 15 rounds: ${median(withoutReader).toFixed(0)} ms CPU without a reader, ` +
        `${median(withStalledReader).toFixed(0)} ms with a ` +
        `stalled one (ratio ${ratio.toFixed(3)}); heap +${heapGrowthMb.toFixed(0)} MiB; ${JSON.stringify(target.hub!.stats())}`,
    );
    // The contract is "the job never slows down for a socket" and the design target is under 10 % (bench/ws.ts
    // measures 1.05–1.15 on its own). The bound here is loose: with the other test files running on the same two
    // cores this ratio reads 1.2–1.4, while the per-event drop path this replaced read 1.5–2.5.
    expect(ratio).toBeLessThan(1.6);
    const stats = target.hub!.stats();
    expect(stats.queue_high_water).toBe(MAX_QUEUE);
    expect(stats.dropped_events).toBeGreaterThan(0);

    // Read again: what arrives for the last job, in order, is each event once or inside one `events:dropped` range.
    expect(stalledJob).not.toBe("");
    const received: Message[] = [];
    tcp.resume();
    const all = await socket.collectUntil(
      (m) => m.type === "flow_job_event" && m.job_id === stalledJob && m.event.type === "job_completed",
      20_000,
    );
    for (const m of all) {
      if ((m.type === "flow_job_event" || m.type === "events:dropped") && m.job_id === stalledJob)
        received.push(m);
    }
    let expected = 1;
    let ranges = 0;
    for (const m of received) {
      if (m.type === "events:dropped") {
        expect(m.from_seq).toBe(expected);
        expect(m.to_seq).toBeGreaterThanOrEqual(m.from_seq);
        expected = m.to_seq + 1;
        ranges++;
      } else {
        expect(m.event.seq).toBe(expected);
        expected++;
      }
    }
    expect(expected).toBe(TOTAL + 1);
    expect(ranges).toBeGreaterThanOrEqual(1);
    await socket.close();
  }, 120_000);
});
