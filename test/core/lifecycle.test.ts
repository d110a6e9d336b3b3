import { describe, expect, test } from "vitest";
import { InvalidStateError, NotFoundError } from "../../src/core/errors.js";
import type { Job } from "../../src/core/job.js";
import { defineRoutine } from "../../src/core/routine.js";
import { sleep } from "../../src/routines/sleep.js";
import {
  eventsOf,
  Gate,
  observeFor,
  registryWith,
  runToEnd,
  seqOf,
  sinkResults,
  sketchFlow,
  startJob,
  waitFor,
} from "../support/engine.js";

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** A control call that the state machine refuses must leave the job exactly as it was. */
function expectRefused(job: Job, control: () => void): void {
  const before = { record: job.record(), lastSeq: job.log.lastSeq };
  expect(control).toThrow(InvalidStateError);
  expect({ record: job.record(), lastSeq: job.log.lastSeq }).toEqual(before);
}

/**
 * source → held → sink, where `held` holds the items from index `holdFrom` on until `gate` opens.
 * With two workers, "both workers are at the gate" is a state the test can wait for without guessing.
 */
function heldPipeline(gate: Gate, holdFrom = 3) {
  const Held = defineRoutine({
    name: "Held",
    slots: ["input"],
    events: ["output"],
    handlers: {
      async input(payload, ctx) {
        if (Number(payload.index) >= holdFrom) await gate.opened;
        ctx.emit("output", payload);
      },
    },
  });
  const flow = sketchFlow({
    routines: { source: "DemoSource", held: "Held", sink: "DemoSink" },
    connections: ["source.output -> held.input", "held.output -> sink.input"],
    strategy: "concurrent",
    max_workers: 2,
  });
  return { flow, registry: registryWith(Held) };
}

describe("completion", () => {
  test("a job completes by itself once nothing is queued or running", async () => {
    const flow = sketchFlow({
      routines: {
        source: "DemoSource",
        slow: { type: "DemoSlow", config: { delay_ms: 5 } },
        sink: "DemoSink",
      },
      connections: ["source.output -> slow.input", "slow.output -> sink.input"],
    });
    const job = startJob(flow, { params: { data: "x", count: 3 } });

    const record = await runToEnd(job);

    expect(record).toEqual(job.record());
    expect(record.status).toBe("completed");
    expect(record.error).toBeNull();
    expect(record.started_at).toMatch(ISO);
    expect(record.completed_at).toMatch(ISO);
    expect(Date.parse(record.completed_at!)).toBeGreaterThanOrEqual(Date.parse(record.started_at!));
    const events = job.log.all();
    expect(events[0]?.type).toBe("job_started");
    expect(events.at(-1)?.type).toBe("job_completed");
    expect(eventsOf(job, "job_completed")).toHaveLength(1);
    expect(sinkResults(job)).toHaveLength(3);
  });

  test("a job can be started only once", () => {
    const job = startJob(sketchFlow({ routines: { source: "DemoSource" } }));
    expect(() => job.start("source")).toThrow(InvalidStateError);
  });

  test("an unknown entry routine, or one without a trigger slot, is refused", async () => {
    const flow = sketchFlow({ routines: { source: "DemoSource", sink: "DemoSink" } });
    expect(() => startJob(flow, { entry: "nope" })).toThrow(NotFoundError);
    expect(() => startJob(flow, { entry: "sink" })).toThrow(InvalidStateError);
  });
});

describe("what a job reports while it runs", () => {
  test("job.running lists the delivery whose handler is running, sync or async; no snapshot meanwhile", async () => {
    let job: Job | undefined;
    const seen: { routine: string; running: string[]; snapshot: unknown }[] = [];
    const look = (routine: string) =>
      seen.push({ routine, running: job!.running.map((d) => d.routine_id), snapshot: job!.snapshot() });
    const Looker = defineRoutine({
      name: "Looker",
      slots: ["input"],
      events: ["output"],
      handlers: {
        input(payload, ctx) {
          look("sync");
          ctx.emit("output", payload);
        },
      },
    });
    const AsyncLooker = defineRoutine({
      name: "AsyncLooker",
      slots: ["input"],
      events: [],
      handlers: {
        async input() {
          await Promise.resolve();
          look("async");
        },
      },
    });
    const flow = sketchFlow({
      routines: { source: "DemoSource", sync: "Looker", async: "AsyncLooker" },
      connections: ["source.output -> sync.input", "sync.output -> async.input"],
    });

    job = startJob(flow, { registry: registryWith(Looker, AsyncLooker), params: { data: "x" } });
    await runToEnd(job);

    expect(seen).toEqual([
      { routine: "sync", running: ["sync"], snapshot: null },
      { routine: "async", running: ["async"], snapshot: null },
    ]);
    expect(job.running).toEqual([]);
  });
});

describe("control state machine", () => {
  test("pause a paused job, resume a running one: refused, nothing changes", async () => {
    const gate = new Gate();
    const { flow, registry } = heldPipeline(gate);
    const job = startJob(flow, { registry, params: { data: "x", count: 6 } });
    await waitFor(() => job.running.length === 2, 2_000, "both workers at the gate");

    expectRefused(job, () => job.resume());
    job.pause();
    expectRefused(job, () => job.pause());

    gate.open();
    job.resume();
    await runToEnd(job);
  });

  test("pause, resume or cancel a finished job: refused, nothing changes", async () => {
    const job = startJob(sketchFlow({ routines: { source: "DemoSource" } }));
    await runToEnd(job);

    expectRefused(job, () => job.pause());
    expectRefused(job, () => job.resume());
    expectRefused(job, () => job.cancel());
  });

  test("a paused job can be cancelled", async () => {
    const gate = new Gate();
    const { flow, registry } = heldPipeline(gate);
    const job = startJob(flow, { registry, params: { data: "x", count: 6 } });
    await waitFor(() => job.running.length === 2, 2_000, "both workers at the gate");
    job.pause();

    job.cancel();

    expect((await runToEnd(job)).status).toBe("cancelled");
  });
});

describe("pause and resume", () => {
  test("no handler starts while paused; resume continues without losing a delivery", async () => {
    const gate = new Gate();
    const { flow, registry } = heldPipeline(gate);
    const job = startJob(flow, { registry, params: { data: "x", count: 12 } });
    await waitFor(() => job.running.length === 2, 2_000, "both workers at the gate");

    job.pause();
    gate.open(); // the two running handlers finish while paused; their emits must wait in the queue
    await waitFor(() => job.running.length === 0, 2_000, "the running handlers to finish");
    await observeFor(50);

    const paused = eventsOf(job, "job_paused");
    expect(paused).toHaveLength(1);
    expect(paused[0]?.data.reason).toBe("user");
    expect(job.status).toBe("paused");
    const startedWhilePaused = job.log.since(paused[0]!.seq).filter((e) => e.type === "slot_called");
    expect(startedWhilePaused).toEqual([]);

    job.resume();
    const record = await runToEnd(job);

    expect(record.status).toBe("completed");
    expect(
      sinkResults(job)
        .map((r) => r.index)
        .sort((a, b) => Number(a) - Number(b)),
    ).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(seqOf(job, "job_resumed")).toBeGreaterThan(paused[0]!.seq);
  });
});

describe("cancel", () => {
  test("cancel mid-run aborts ctx.signal, starts no new handler, and leaves a sibling job untouched", async () => {
    const aborted: unknown[] = [];
    const Waiting = defineRoutine({
      name: "Waiting",
      slots: ["input"],
      events: ["output"],
      handlers: {
        async input(payload, ctx) {
          if (payload.data === "doomed" && Number(payload.index) >= 2) {
            try {
              await sleep(60_000, ctx.signal); // only an abort ends this wait
            } catch (reason) {
              aborted.push(reason);
              throw reason;
            }
          }
          ctx.emit("output", payload);
        },
      },
    });
    const flow = sketchFlow({
      routines: { source: "DemoSource", waiting: "Waiting", sink: "DemoSink" },
      connections: ["source.output -> waiting.input", "waiting.output -> sink.input"],
      strategy: "concurrent",
      max_workers: 2,
    });
    const registry = registryWith(Waiting);
    const doomed = startJob(flow, { registry, params: { data: "doomed", count: 20 } });
    const sibling = startJob(flow, { registry, params: { data: "fine", count: 20 } });
    await waitFor(() => doomed.running.length === 2, 2_000, "both workers of the doomed job waiting");

    doomed.cancel();
    const siblingRecord = await runToEnd(sibling); // time for a broken cancel to show itself

    const record = await runToEnd(doomed);
    expect(record.status).toBe("cancelled");
    expect(record.completed_at).toMatch(ISO);
    expect(doomed.signal.aborted).toBe(true);
    expect(aborted).toHaveLength(2);
    const cancelledAt = seqOf(doomed, "job_cancelled");
    expect(doomed.log.since(cancelledAt).filter((e) => e.type === "slot_called")).toEqual([]);
    expect(eventsOf(doomed, "slot_called").length).toBeLessThan(1 + 20 + 20);

    expect(siblingRecord.status).toBe("completed");
    expect(sibling.signal.aborted).toBe(false);
    expect(sinkResults(sibling)).toHaveLength(20);
    expect(eventsOf(sibling, "job_cancelled")).toEqual([]);
  });
});

describe("timeout", () => {
  const slowFlow = (timeout: number | null) =>
    sketchFlow({
      routines: { source: "DemoSource", slow: { type: "DemoSlow", config: { delay_ms: 60_000 } } },
      connections: ["source.output -> slow.input"],
      timeout,
    });

  test("the flow's timeout fails the job with a timeout error and aborts its handlers", async () => {
    const job = startJob(slowFlow(0.05), { params: { data: "x" } });

    const record = await runToEnd(job, 2_000);

    expect(record.status).toBe("failed");
    expect(record.error).toMatch(/timed out after 0\.05s/);
    expect(job.signal.aborted).toBe(true);
    expect(job.log.all().at(-1)).toMatchObject({ type: "job_failed", data: { error: record.error } });
  });

  test("a job's own timeout overrides the flow's", async () => {
    const job = startJob(slowFlow(null), { params: { data: "x" }, timeout: 0.03 });

    const record = await runToEnd(job, 2_000);

    expect(record.status).toBe("failed");
    expect(record.error).toMatch(/timed out/);
  });
});
