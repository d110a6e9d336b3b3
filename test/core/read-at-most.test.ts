import { describe, expect, test } from "vitest";
import { readAtMost } from "../../src/core/read-at-most.js";

/** A stream of `count` chunks of `size` bytes, produced on demand; it records how many were pulled and a cancel. */
function chunkStream(count: number, size: number) {
  const seen = { pulled: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (seen.pulled === count) return controller.close();
        seen.pulled++;
        controller.enqueue(new Uint8Array(size).fill(seen.pulled));
      },
      cancel() {
        seen.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, seen };
}

describe("readAtMost", () => {
  test("returns the whole body, chunks joined in order, up to the limit itself", async () => {
    const { stream, seen } = chunkStream(3, 4);
    const bytes = await readAtMost(stream, 12);
    expect([...bytes!]).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    expect(seen.cancelled).toBe(false);
  });

  test("past the limit: null, and the rest is neither read nor waited for", async () => {
    const { stream, seen } = chunkStream(100, 4);
    expect(await readAtMost(stream, 10)).toBeNull();
    expect(seen.pulled).toBe(3);
    expect(seen.cancelled).toBe(true);
  });

  test("with a drain budget, a body a little over the limit is read to its end before null", async () => {
    const { stream, seen } = chunkStream(5, 4);
    expect(await readAtMost(stream, 10, 10)).toBeNull();
    expect(seen.pulled).toBe(5);
    expect(seen.cancelled).toBe(false);
  });

  test("with a drain budget, a body far over the limit is cut off once past the budget", async () => {
    const { stream, seen } = chunkStream(100, 4);
    expect(await readAtMost(stream, 10, 10)).toBeNull();
    expect(seen.pulled).toBe(6);
    expect(seen.cancelled).toBe(true);
  });
});
