import { describe, expect, test } from "vitest";
import { type Outgoing, SendQueue } from "../../src/api/ws/send-queue.js";
import type { JobEvent } from "../../src/core/types.js";

const event = (job_id: string, seq: number): JobEvent => ({
  seq,
  job_id,
  type: "slot_called",
  timestamp: "2026-01-15T08:30:00.000Z",
  data: {},
});

/** Shifts everything, as text: events as `job:seq`, control messages parsed. */
function drain(queue: SendQueue): (string | Record<string, unknown>)[] {
  const out: (string | Record<string, unknown>)[] = [];
  for (let next: Outgoing | undefined = queue.shift(); next; next = queue.shift()) {
    out.push(next.event ? `${next.event.job_id}:${next.event.seq}` : JSON.parse(next.text!));
  }
  return out;
}

describe("SendQueue", () => {
  test("events and control messages leave in the order they were queued", () => {
    const queue = new SendQueue(10, 10);
    queue.pushControl(JSON.stringify({ type: "metrics" }));
    queue.pushEvent(event("a", 1));
    queue.pushControl(JSON.stringify({ type: "pong" }));
    queue.pushEvent(event("a", 2));
    expect(drain(queue)).toEqual([{ type: "metrics" }, "a:1", { type: "pong" }, "a:2"]);
    expect(queue.isEmpty).toBe(true);
  });

  test("backfill queued before a later gap leaves before the gap is told", () => {
    const queue = new SendQueue(2, 10);
    queue.pushBackfill(event("a", 1));
    queue.pushBackfill(event("a", 2));
    for (let seq = 3; seq <= 6; seq++) queue.pushEvent(event("a", seq));
    expect(drain(queue)).toEqual([
      "a:1",
      "a:2",
      { type: "events:dropped", job_id: "a", from_seq: 3, to_seq: 4 },
      "a:5",
      "a:6",
    ]);
  });

  test("on overflow the oldest events go, and one range per job is told before that job's next event", () => {
    const queue = new SendQueue(3, 10);
    for (let seq = 1; seq <= 8; seq++) queue.pushEvent(event("a", seq));
    expect(queue.eventCount).toBe(3);
    expect(queue.highWater).toBe(3);
    expect(queue.droppedTotal).toBe(5);
    expect(drain(queue)).toEqual([
      { type: "events:dropped", job_id: "a", from_seq: 1, to_seq: 5 },
      "a:6",
      "a:7",
      "a:8",
    ]);
  });

  test("drops of different jobs get their own ranges; control messages are never dropped", () => {
    const queue = new SendQueue(2, 10);
    queue.pushEvent(event("a", 1));
    queue.pushControl(JSON.stringify({ type: "ping" }));
    queue.pushEvent(event("b", 1));
    queue.pushEvent(event("a", 2)); // drops a:1
    queue.pushEvent(event("b", 2)); // drops b:1
    expect(drain(queue)).toEqual([
      { type: "ping" },
      { type: "events:dropped", job_id: "a", from_seq: 1, to_seq: 1 },
      "a:2",
      { type: "events:dropped", job_id: "b", from_seq: 1, to_seq: 1 },
      "b:2",
    ]);
  });

  test("a range with no surviving event of its job is told when the queue runs empty", () => {
    const queue = new SendQueue(1, 10);
    queue.pushEvent(event("a", 1));
    queue.pushEvent(event("b", 7)); // drops a:1
    expect(drain(queue)).toEqual(["b:7", { type: "events:dropped", job_id: "a", from_seq: 1, to_seq: 1 }]);
  });

  test("a drop after the job's notice went out starts a new range", () => {
    const queue = new SendQueue(2, 10);
    for (let seq = 1; seq <= 3; seq++) queue.pushEvent(event("a", seq)); // drops 1
    expect(queue.shift()?.text).toContain('"from_seq":1');
    queue.pushEvent(event("a", 4)); // drops 2
    expect(drain(queue)).toEqual([
      { type: "events:dropped", job_id: "a", from_seq: 2, to_seq: 2 },
      "a:3",
      "a:4",
    ]);
  });

  test("the control FIFO is bounded too", () => {
    const queue = new SendQueue(5, 2);
    expect(queue.pushControl("{}")).toBe(true);
    expect(queue.pushControl("{}")).toBe(true);
    expect(queue.pushControl("{}")).toBe(false);
  });

  test("purging a job forgets its queued events and its dropped range", () => {
    const queue = new SendQueue(2, 10);
    queue.pushEvent(event("a", 1));
    queue.pushEvent(event("b", 1));
    queue.pushEvent(event("a", 2)); // drops a:1
    queue.purgeJob("a");
    expect(drain(queue)).toEqual(["b:1"]);
  });
});
