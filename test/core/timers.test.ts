import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { defineRoutine } from "../../src/core/routine.js";
import { armChained, checkedWaitMs, MAX_TIMER_MS } from "../../src/core/timers.js";
import { registryWith, sketchFlow, startJob } from "../support/engine.js";

const DAY_MS = 86_400_000;

/** Waits until the job ends (its signal aborts): a job that only a timeout can end. */
const Hold = defineRoutine({
  name: "Hold",
  slots: ["trigger"],
  events: [],
  handlers: {
    trigger: (_payload, ctx) =>
      new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve())),
  },
});

/** Fails every time it runs. */
const Flaky = defineRoutine({
  name: "Flaky",
  slots: ["trigger"],
  events: [],
  handlers: {
    trigger() {
      throw new Error("boom");
    },
  },
});

describe("armChained", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("a wait past the runtime's timer limit fires when it says, chained from timers no longer than the limit", () => {
    const fire = vi.fn();
    const waits: number[] = [];
    armChained(30 * DAY_MS, fire, (callback, ms) => {
      waits.push(ms);
      setTimeout(callback, ms);
    });
    vi.advanceTimersByTime(30 * DAY_MS - 1);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(waits).toEqual([MAX_TIMER_MS, 30 * DAY_MS - MAX_TIMER_MS]);
    expect(Math.max(...waits)).toBeLessThanOrEqual(MAX_TIMER_MS);
  });

  test("a short wait is one timer, and a negative one fires on the next turn", () => {
    const waits: number[] = [];
    armChained(
      1500,
      () => {},
      (_callback, ms) => waits.push(ms),
    );
    armChained(
      -5,
      () => {},
      (_callback, ms) => waits.push(ms),
    );
    expect(waits).toEqual([1500, 0]);
  });
});

describe("a job's long timeout and retry delays", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  test("a 30-day timeout is still waiting after 29 days and fires at 30", async () => {
    const flow = sketchFlow({ routines: { source: "Hold" }, timeout: 2_592_000 });
    const job = startJob(flow, { registry: registryWith(Hold) });
    await vi.advanceTimersByTimeAsync(29 * DAY_MS);
    expect(job.status).toBe("running");
    await vi.advanceTimersByTimeAsync(DAY_MS);
    expect(job.status).toBe("failed");
    expect(job.error).toBe("Job timed out after 2592000s");
  });

  test("a retry delay that backoff grows past 24 hours fails the routine instead of waiting", async () => {
    const flow = sketchFlow({
      routines: {
        source: {
          type: "Flaky",
          onError: { strategy: "retry", max_retries: 5, retry_delay: 3600, retry_backoff: 100 },
        },
      },
    });
    const job = startJob(flow, { registry: registryWith(Flaky) });
    await vi.advanceTimersByTimeAsync(0);
    expect(job.status).toBe("running"); // waiting 3600 s for the first retry
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(job.status).toBe("failed");
    expect(job.error).toBe(
      "Routine 'source' failed: boom (not retried: a retry delay of 360000s is over 24 hours)",
    );
  });
});

describe("checkedWaitMs", () => {
  test.each([[-1], [Number.NaN], [Number.POSITIVE_INFINITY], [DAY_MS + 1], [1e10]])(
    "refuses %s, naming the field and the bound",
    (ms) => {
      expect(() => checkedWaitMs(ms, "delay_ms")).toThrow(
        /^delay_ms must be a finite number of milliseconds from 0 to 86400000 \(24 hours\), not /,
      );
    },
  );

  test("accepts 0 to 24 hours", () => {
    expect(checkedWaitMs(0, "x")).toBe(0);
    expect(checkedWaitMs(DAY_MS, "x")).toBe(DAY_MS);
  });
});
