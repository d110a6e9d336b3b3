import { describe, expect, test } from "vitest";
import type { Clock } from "../../src/core/clock.js";
import { EventLog, MemoryBudget } from "../../src/core/event-log.js";
import type { JobEvent } from "../../src/core/types.js";
import { eventsOf, runFlow, sketchFlow } from "../support/engine.js";

const pinnedClock = (iso: string): Clock => ({ now: () => Date.parse(iso), iso: () => iso });

const fill = (log: EventLog, count: number): void => {
  for (let i = 0; i < count; i++) log.append("log", { message: `m${i}` });
};

describe("the event log", () => {
  test("seq starts at 1 and each event carries job_id, type, timestamp and data", () => {
    const log = new EventLog("j1", { clock: pinnedClock("2026-01-15T08:30:00.123Z") });

    const first = log.append("job_started", { flow_id: "f" });
    const second = log.append("log", { message: "hi" });

    expect(first).toEqual({
      seq: 1,
      job_id: "j1",
      type: "job_started",
      timestamp: "2026-01-15T08:30:00.123Z",
      data: { flow_id: "f" },
    });
    expect(second.seq).toBe(2);
    expect(log.lastSeq).toBe(2);
    expect(log.oldestSeq).toBe(1);
  });

  test("an empty log has oldestSeq = lastSeq + 1 and nothing since 0", () => {
    const log = new EventLog("j1");
    expect(log.oldestSeq).toBe(1);
    expect(log.since(0)).toEqual([]);
  });

  test("since(n) returns the events after seq n, oldest first, at most `limit`", () => {
    const log = new EventLog("j1");
    fill(log, 10);

    expect(log.since(7).map((e) => e.seq)).toEqual([8, 9, 10]);
    expect(log.since(2, 3).map((e) => e.seq)).toEqual([3, 4, 5]);
    expect(log.since(10)).toEqual([]);
    expect(log.since(99)).toEqual([]);
  });

  test("a cap truncates from the front: oldestSeq moves and seq keeps counting", () => {
    const log = new EventLog("j1", { maxEvents: 5 });
    fill(log, 12);

    expect(log.size).toBe(5);
    expect(log.lastSeq).toBe(12);
    expect(log.oldestSeq).toBe(8);
    expect(log.all().map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
  });

  test("since() across the cap starts at the oldest event still held", () => {
    const log = new EventLog("j1", { maxEvents: 5 });
    fill(log, 12);

    expect(log.since(0).map((e) => e.seq)).toEqual([8, 9, 10, 11, 12]);
    expect(log.since(3, 2).map((e) => e.seq)).toEqual([8, 9]);
    expect(log.since(9).map((e) => e.seq)).toEqual([10, 11, 12]);
  });

  test("long capped logs stay consistent after their storage is compacted", () => {
    const log = new EventLog("j1", { maxEvents: 100 });
    fill(log, 5_000);

    expect(log.size).toBe(100);
    expect(log.oldestSeq).toBe(4_901);
    expect(log.since(4_990).map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 4_991 + i));
    expect(log.since(0, 1)[0]?.data).toEqual({ message: "m4900" });
  });

  test("each event keeps its own timestamp, across truncation and compaction", () => {
    // A clock whose time moves on every few events, as a real one does within a busy millisecond.
    let calls = 0;
    const stampOf = (n: number) => new Date(Date.UTC(2026, 0, 15) + Math.floor(n / 3)).toISOString();
    const clock: Clock = { now: () => 0, iso: () => stampOf(calls++) };
    const log = new EventLog("j1", { maxEvents: 500, clock });
    fill(log, 5_000);

    const held = log.all();
    expect(held).toHaveLength(500);
    for (const event of held) expect(event.timestamp).toBe(stampOf(event.seq - 1));
  });

  test("reads agree with a plain list of every event, whatever the cap and the reading point", () => {
    let random = 42; // a fixed-seed generator: the same cases on every run
    const next = (below: number) => {
      random = (random * 1_103_515_245 + 12_345) % 2 ** 31;
      return random % below;
    };
    for (const maxEvents of [1, 7, 100, 3_000]) {
      let tick = 0;
      const clock: Clock = { now: () => 0, iso: () => `t${Math.floor(tick++ / (1 + next(4)))}` };
      const log = new EventLog("j1", { maxEvents, clock });
      const model: Omit<JobEvent, "job_id">[] = [];
      for (let round = 0; round < 40; round++) {
        for (let i = next(200); i > 0; i--) {
          const { job_id: _, ...event } = log.append(next(2) === 0 ? "log" : "slot_called", {
            n: model.length,
          });
          model.push(event);
        }
        const held = model.slice(-maxEvents);
        const since = next(model.length + 2) - 1;
        const limit = next(3) === 0 ? undefined : next(50);
        const expected = held.filter((e) => e.seq > since).slice(0, limit ?? held.length);
        expect(log.since(since, limit).map(({ job_id: _, ...rest }) => rest)).toEqual(expected);
        expect(log.oldestSeq).toBe(held[0]?.seq ?? model.length + 1);
      }
    }
  });

  test("restore continues a log kept elsewhere: same events, same seqs, and appending goes on from there", () => {
    const source = new EventLog("j1", { clock: pinnedClock("2026-01-15T08:30:00.123Z") });
    fill(source, 10);
    const restored = new EventLog("j1", { maxEvents: 4, clock: pinnedClock("2026-01-15T08:30:01.000Z") });

    restored.restore(10, source.since(5));
    const next = restored.append("job_resumed", {});

    expect(restored.since(0)).toEqual([...source.since(7), next]);
    expect(next).toMatchObject({ seq: 11, timestamp: "2026-01-15T08:30:01.000Z" });
    expect(restored.oldestSeq).toBe(8);
  });

  test("listeners see every event in seq order, and stop after unsubscribing", () => {
    const log = new EventLog("j1");
    const seen: JobEvent[] = [];
    const unsubscribe = log.subscribe((event) => seen.push(event));

    fill(log, 3);
    unsubscribe();
    fill(log, 2);

    expect(seen.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  test("a capped job log still ends with the job's last events", async () => {
    const flow = sketchFlow({
      routines: { source: "DemoSource", sink: "DemoSink" },
      connections: ["source.output -> sink.input"],
    });

    const { job } = await runFlow(flow, { params: { data: "x", count: 50 }, maxEvents: 20 });

    expect(job.log.size).toBe(20);
    expect(job.log.oldestSeq).toBe(job.log.lastSeq - 19);
    expect(eventsOf(job, "job_started")).toEqual([]); // truncated away
    expect(job.log.all().at(-1)?.type).toBe("job_completed");
    expect(job.log.since(job.log.lastSeq - 3).map((e) => e.seq)).toEqual([
      job.log.lastSeq - 2,
      job.log.lastSeq - 1,
      job.log.lastSeq,
    ]);
  });
});

describe("a log capped by bytes", () => {
  test("drops its oldest events past maxBytes, never its newest one", () => {
    const log = new EventLog("job-bytes", { maxBytes: 1000 });
    for (let i = 0; i < 100; i++) log.append("log", { i }, 100);
    expect(log.bytes).toBe(1000);
    expect(log.size).toBe(10);
    expect(log.oldestSeq).toBe(91);
    log.append("log", { big: true }, 5000);
    expect(log.size).toBe(1);
    expect(log.all()[0]!.data).toEqual({ big: true });
  });

  test("counts its bytes in a shared budget and gives them back when released", () => {
    const budget = new MemoryBudget(10_000);
    const log = new EventLog("job-budget", { maxBytes: 1000, budget });
    for (let i = 0; i < 30; i++) log.append("log", { i }, 100);
    expect(budget.used).toBe(1000);
    log.releaseBudget();
    expect(budget.used).toBe(0);
  });
});
