import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  api,
  httpEvents,
  isEvent,
  isType,
  type Message,
  openSocket,
  startJob,
  startNodeTarget,
  type WsTarget,
} from "../support/ws.js";

/**
 * Items of the demo source → events of a job: job_started/completed, the source's own 3, then per item 12 on
 * linear_flow and 19 on branching_flow. branching_flow runs concurrently, so a source with `delay_ms` makes a
 * steady stream (on sequential linear_flow the source's handler holds the only worker and the rest is one burst).
 */
const eventsFor = (count: number, flow: "linear_flow" | "branching_flow" = "linear_flow"): number =>
  5 + (flow === "linear_flow" ? 12 : 19) * count;
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** A small seeded generator, so a failing run names the cut points it used. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("loss-free resume", () => {
  let target: WsTarget;
  beforeAll(async () => {
    // A queue that holds a whole job: the demo source's events come in bursts far faster than one socket drains
    // them, and what this suite checks is the replay (backpressure.test.ts checks the drops).
    target = await startNodeTarget({ config: { wsMaxQueue: 5000 } });
  });
  afterAll(() => target.close());

  test("a client cut off three times during a 2 000-event job ends with seq 1…N exactly once each", async () => {
    const seed = Date.now();
    const next = random(seed);
    const count = 105;
    const total = eventsFor(count, "branching_flow");
    expect(total).toBe(2000);
    const job = await startJob(target, { flow_id: "branching_flow", count, delay_ms: 5 });
    const received: number[] = [];
    const cuts: number[] = [];
    let last = 0;
    for (let round = 0; round < 4; round++) {
      const socket = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor?since=${last}`);
      if (round < 3) {
        // Cut somewhere in the next few hundred events, without a close handshake (a network cut).
        const cutAfter = 20 + Math.floor(next() * 400);
        cuts.push(cutAfter);
        let seen = 0;
        await socket.collectUntil((m) => isEvent(m) && ++seen >= cutAfter, 10_000).catch(() => {});
        socket.cut();
      } else {
        await socket.collectUntil(isType("job_completed"), 15_000);
        await socket.close();
      }
      const events = socket.messages.filter(isEvent);
      expect(socket.messages.some(isType("events:dropped")), `seed ${seed}`).toBe(false);
      for (const event of events) received.push(event.seq);
      last = events.at(-1)?.seq ?? last;
    }
    expect(received, `seed ${seed}, cuts after ${cuts.join(", ")} events`).toEqual(range(1, total));
  });

  test("resume over /ws replays after `since` without a gap, then continues live", async () => {
    const job = await startJob(target, { count: 60, delay_ms: 5 });
    const first = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor`);
    await first.collectUntil((m) => isEvent(m) && m.seq >= 100);
    first.cut();
    const seen = first.messages.filter(isEvent).map((e) => e.seq);
    const last = seen.at(-1)!;

    const socket = await openSocket(`${target.wsUrl}/ws`);
    await socket.nextMessage(isType("connection:status"));
    socket.send({ action: "resume", job_id: job.job_id, since: last });
    await socket.collectUntil(isType("job_completed"), 10_000);
    await socket.close();
    const ofJob = socket.messages.filter((m) => isEvent(m) && m.job_id === job.job_id);
    // `/ws` also gets every job's job_* events unasked; everything else of this job comes from the resume, once.
    const resumed = ofJob.filter((e) => !e.type.startsWith("job_")).map((e) => e.seq);
    expect(new Set(resumed).size).toBe(resumed.length);
    const all = [...new Set([...seen, ...ofJob.map((e) => e.seq)])].sort((a, b) => a - b);
    expect(all).toEqual(range(1, eventsFor(60)));
    expect(ofJob.filter((e) => e.seq <= last && !e.type.startsWith("job_"))).toEqual([]);
  });

  test("resume on an open monitor socket replays from the new `since`", async () => {
    const job = await startJob(target, { count: 3 });
    const socket = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor`);
    await socket.collectUntil(isType("job_completed"));
    socket.send({ action: "resume", since: 30 });
    const again = (await socket.collectUntil(isType("job_completed"))).filter(isEvent);
    expect(again.map((e) => e.seq)).toEqual(range(31, eventsFor(3)));
    socket.send({ action: "resume", job_id: "another-job", since: 0 });
    expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "BAD_MESSAGE" });
    await socket.close();
  });

  test("a flow socket can resume a job of its flow that it met live", async () => {
    const socket = await openSocket(`${target.wsUrl}/api/ws/flows/linear_flow/monitor`);
    await socket.nextMessage(isType("flow_metrics"));
    const job = await startJob(target, { count: 2 });
    await socket.collectUntil((m) => m.type === "flow_job_event" && m.event.type === "job_completed");
    socket.send({ action: "resume", job_id: job.job_id, since: 20 });
    const replayed = await socket.collectUntil(
      (m) => m.type === "flow_job_event" && m.event.type === "job_completed",
    );
    expect(replayed.filter(isType("flow_job_event")).map((m: Message) => m.event.seq)).toEqual(
      range(21, eventsFor(2)),
    );
    const other = await startJob(target, { flow_id: "branching_flow", count: 1 });
    socket.send({ action: "resume", job_id: other.job_id, since: 0 });
    expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "JOB_NOT_FOUND" });
    await socket.close();
  });
});

describe("a log truncated by ROUTILUX_MAX_EVENTS_PER_JOB", () => {
  const cap = 200;
  let target: WsTarget;
  beforeAll(async () => {
    target = await startNodeTarget({ maxEventsPerJob: cap, config: { wsMaxQueue: 5000 } });
  });
  afterAll(() => target.close());

  /** Asserts `stream:truncated` first, then events contiguous from its `oldest_seq`; returns the last seq. */
  function expectTruncatedThenContiguous(messages: Message[], job_id: string, since: number): number {
    const notice = messages.findIndex(isType("stream:truncated"));
    expect(notice).toBeGreaterThanOrEqual(0);
    const oldest = messages[notice]!.oldest_seq as number;
    expect(messages[notice]).toEqual({ type: "stream:truncated", job_id, oldest_seq: oldest });
    expect(oldest).toBeGreaterThan(since + 1);
    expect(messages.slice(0, notice).some(isEvent)).toBe(false);
    const seqs = messages
      .slice(notice)
      .filter(isEvent)
      .map((e) => e.seq);
    expect(seqs).toEqual(range(oldest, oldest + seqs.length - 1));
    return seqs.at(-1)!;
  }

  test("a client that asks for more than the log holds gets stream:truncated, then contiguous events", async () => {
    // The source's 300 emits are a steady trickle (one per 3 ms); its items' other events follow in one burst.
    const job = await startJob(target, { count: 300, delay_ms: 3 });
    // Let the log outgrow its cap, then connect from the start.
    for (let i = 0; i < 200; i++) {
      const page = await api(target, "GET", `/api/jobs/${job.job_id}/events?since=0&limit=1`);
      if (page.oldest_seq > 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const socket = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor`);
    await socket.collectUntil((m) => isEvent(m) && m.seq > 220, 10_000);
    socket.cut();
    const last = expectTruncatedThenContiguous(socket.messages, job.job_id, 0);

    // Fall further behind than the log holds, then resume from the last seq seen.
    for (let i = 0; i < 200; i++) {
      const page = await api(target, "GET", `/api/jobs/${job.job_id}/events?since=0&limit=1`);
      if (page.oldest_seq > last + 1) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const again = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor?since=${last}`);
    await again.collectUntil(isType("job_completed"), 10_000);
    await again.close();
    const end = expectTruncatedThenContiguous(again.messages, job.job_id, last);
    expect(end).toBe(eventsFor(300));
  });

  test("a finished job's truncated log streams the same events as GET /api/jobs/{id}/events", async () => {
    const job = await startJob(target, { count: 30 });
    const socket = await openSocket(`${target.wsUrl}/api/ws/jobs/${job.job_id}/monitor`);
    await socket.collectUntil(isType("job_completed"), 10_000);
    await socket.close();
    const logged = await httpEvents(target, job.job_id);
    expect(logged).toHaveLength(cap);
    const streamed = socket.messages.filter(isEvent);
    // Live events arrive as they are logged; the tail that the capped log still holds is the same, seq for seq.
    expect(streamed.slice(-cap)).toEqual(logged);
  });
});
