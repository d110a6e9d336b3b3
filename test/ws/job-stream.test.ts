import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { JobStream, type StreamSink } from "../../src/api/ws/job-stream.js";
import type { ControlMessage } from "../../src/api/ws/protocol.js";
import { EventLog } from "../../src/core/event-log.js";
import type { JobEvent } from "../../src/core/types.js";

/**
 * A job whose log grows while a stream replays it: every read of a page lets the "engine" append a few events
 * first (they reach the stream live, as the hub would deliver them), so reads and live events interleave.
 */
function harness(options: { maxEvents?: number; appendsPerRead: number[]; total: number; room?: number }) {
  const log = new EventLog("j", { maxEvents: options.maxEvents });
  const received: JobEvent[] = [];
  const controls: ControlMessage[] = [];
  let stream: JobStream | null = null;
  log.subscribe((event) => stream?.offer(event));
  let reads = 0;
  const append = (n: number) => {
    for (let i = 0; i < n && log.lastSeq < options.total; i++) log.append("log", { i });
  };
  const jobs = {
    async events(_job_id: string, since: number, limit: number) {
      append(options.appendsPerRead[reads++ % options.appendsPerRead.length] ?? 0);
      await new Promise((resolve) => setTimeout(resolve, 0));
      return { events: log.since(since, limit), last_seq: log.lastSeq, oldest_seq: log.oldestSeq };
    },
  };
  const sink: StreamSink = {
    accept: (event) => received.push(event),
    control: (message) => controls.push(message),
    dropped: () => {
      throw new Error("nothing is dropped here");
    },
    room: async () => options.room ?? 1000,
    release: () => {},
  };
  stream = new JobStream("j", jobs as never, sink, { pageSize: 7, maxPending: 5 });
  return { log, stream, received, controls, append };
}

describe("JobStream", () => {
  test("replay then live: every seq exactly once, in order, whatever the interleaving", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 40 }),
        async (appendsPerRead, before, since) => {
          const total = 120;
          const h = harness({ appendsPerRead, total });
          h.append(before);
          const from = Math.min(since, h.log.lastSeq);
          await h.stream.replay(from);
          h.append(total); // the rest of the job, live
          const seqs = h.received.map((e) => e.seq);
          expect(seqs).toEqual(Array.from({ length: total - from }, (_, i) => from + 1 + i));
          expect(h.controls).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("a log truncated past `since` says so, then streams contiguously from its oldest event", async () => {
    const h = harness({ maxEvents: 10, appendsPerRead: [0], total: 60 });
    h.append(40);
    await h.stream.replay(5);
    h.append(60);
    expect(h.controls[0]).toEqual({ type: "stream:truncated", job_id: "j", oldest_seq: 31 });
    const seqs = h.received.map((e) => e.seq);
    expect(seqs[0]).toBe(31);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => 31 + i));
    expect(seqs.at(-1)).toBe(60);
  });

  test("when live events outgrow the pending cap during a replay they are read from the log again", async () => {
    const h = harness({ appendsPerRead: [50], total: 400 });
    await h.stream.replay(0);
    h.append(400);
    expect(h.received.map((e) => e.seq)).toEqual(Array.from({ length: 400 }, (_, i) => i + 1));
  });

  test("a second replay restarts from its own since; the first stops", async () => {
    const h = harness({ appendsPerRead: [0], total: 30 });
    h.append(30);
    const first = h.stream.replay(0);
    const second = h.stream.replay(20);
    await Promise.all([first, second]);
    expect(h.received.map((e) => e.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 21 + i));
  });
});
