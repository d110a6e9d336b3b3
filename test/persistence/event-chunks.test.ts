import { describe, expect, test } from "vitest";
import type { JobEvent } from "../../src/core/types.js";
import {
  decodeChunks,
  encodeChunks,
  MAX_CHUNK_CHARS,
  MAX_EVENTS_PER_CHUNK,
} from "../../src/service/sqlite/event-chunks.js";

/** The stored form of an event log (src/service/sqlite/event-chunks.ts); the store contract covers the rest. */

const TYPES = ["slot_called", "routine_started", "event_emitted", "routine_completed"] as const;

function log(
  from: number,
  to: number,
  data: (seq: number) => JobEvent["data"] = (seq) => ({ seq }),
): JobEvent[] {
  return Array.from({ length: to - from + 1 }, (_, i) => {
    const seq = from + i;
    return {
      seq,
      job_id: "j1",
      type: TYPES[seq % TYPES.length]!,
      // Runs of equal timestamps, as a busy job logs them, with a change inside most chunks.
      timestamp: new Date(Date.UTC(2026, 0, 1) + Math.floor(seq / 300)).toISOString(),
      data: data(seq),
    };
  });
}

const decodeAll = (events: readonly JobEvent[]) =>
  decodeChunks(
    "j1",
    encodeChunks(events).map((chunk) => chunk.events),
    0,
    Number.MAX_SAFE_INTEGER,
    Number.MAX_SAFE_INTEGER,
  );

describe("event chunks", () => {
  test("a log comes back event for event: seq, type, timestamp and data", () => {
    const events = log(1, 2000, (seq) => ({ seq, nested: { list: [seq, "x", null, true] }, text: "é\n\"'" }));
    expect(decodeAll(events)).toEqual(events);
  });

  test(`chunks hold at most ${MAX_EVENTS_PER_CHUNK} consecutive events and say which`, () => {
    const chunks = encodeChunks(log(11, 1210));
    expect(chunks.map(({ first_seq, last_seq }) => [first_seq, last_seq])).toEqual([
      [11, 522],
      [523, 1034],
      [1035, 1210],
    ]);
  });

  test("a gap in the seqs starts a new chunk, so a chunk's seqs are always first_seq…last_seq", () => {
    const events = [...log(1, 5), ...log(9, 10)];
    expect(encodeChunks(events).map(({ first_seq, last_seq }) => [first_seq, last_seq])).toEqual([
      [1, 5],
      [9, 10],
    ]);
    expect(decodeAll(events)).toEqual(events);
  });

  test("a chunk that would be too large is split, down to single events", () => {
    const big = "x".repeat(MAX_CHUNK_CHARS / 3);
    const events = log(1, 7, () => ({ big }));
    const chunks = encodeChunks(events);
    expect(chunks.every((chunk) => chunk.events.length <= MAX_CHUNK_CHARS)).toBe(true);
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    expect(decodeAll(events)).toEqual(events);

    const huge = log(1, 2, () => ({ big: "y".repeat(MAX_CHUNK_CHARS) }));
    expect(encodeChunks(huge).map(({ first_seq, last_seq }) => [first_seq, last_seq])).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });

  test("decoding picks the seqs after `after`, up to `through`, at most `limit` of them", () => {
    const texts = encodeChunks(log(1, 1500)).map((chunk) => chunk.events);
    const seqs = (after: number, through: number, limit: number) =>
      decodeChunks("j1", texts, after, through, limit).map((event) => event.seq);
    expect(seqs(510, 515, 100)).toEqual([511, 512, 513, 514, 515]);
    expect(seqs(1020, 1500, 6)).toEqual([1021, 1022, 1023, 1024, 1025, 1026]);
    expect(seqs(1499, 1500, 10)).toEqual([1500]);
    expect(seqs(1500, 1500, 10)).toEqual([]);
    expect(seqs(0, 1500, 0)).toEqual([]);
  });

  test("a frozen data object shared by many events is written once per chunk, and every event gets it back", () => {
    const shared = [Object.freeze({ routine_id: "a", slot_name: "in" }), Object.freeze({ routine_id: "b" })];
    // Shared frozen objects, fresh ones, and a frozen one used only once, interleaved.
    const data = (seq: number) =>
      seq % 3 === 0 ? shared[seq % 2]! : seq % 7 === 0 ? Object.freeze({ once: seq }) : { seq };
    const events = log(1, 1200, data);
    expect(decodeAll(events)).toEqual(events);

    const texts = encodeChunks(events).map((chunk) => chunk.events);
    const perChunk = texts.map((text) => text.split('"slot_name":"in"').length - 1);
    expect(perChunk).toEqual(texts.map(() => 1));
    const unshared = encodeChunks(log(1, 1200, (seq) => ({ ...data(seq) }))).map((chunk) => chunk.events);
    expect(texts.join("").length).toBeLessThan(unshared.join("").length);
  });

  test("an event whose data is shared with an earlier one decodes even when the earlier one is skipped", () => {
    const shared = Object.freeze({ routine_id: "a" });
    const texts = encodeChunks(log(1, 20, (seq) => (seq % 2 === 0 ? shared : { seq }))).map((c) => c.events);
    const page = decodeChunks("j1", texts, 10, 14, 100);
    expect(page.map((event) => [event.seq, event.data])).toEqual([
      [11, { seq: 11 }],
      [12, shared],
      [13, { seq: 13 }],
      [14, shared],
    ]);
  });
});
