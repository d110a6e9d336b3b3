import { describe, expect, test } from "vitest";
import { Delay } from "../../src/routines/index.js";
import { runFlow } from "./support/run-flow.js";

const through = (routine: unknown) => ({
  routines: { start: { class: "Feed" }, step: routine, sink: { class: "Sink" } },
  connections: [
    { from: "start.output", to: "step.input" },
    { from: "step.output", to: "sink.input" },
  ],
  // A debouncer holds one worker while it waits; the feed and the sink need others.
  execution: { strategy: "concurrent", max_workers: 4 },
});

const cancelAfter = (ms: number) => async (job: { cancel(): void }) => {
  await new Promise((resolve) => setTimeout(resolve, ms));
  job.cancel();
};

describe("Debouncer", () => {
  const debouncer = { class: "Debouncer", config: { wait_ms: 100 } };

  test("a burst emits only its last payload, once the burst has been quiet for wait_ms", async () => {
    const run = await runFlow(through(debouncer), { items: [{ n: 1 }, { n: 2 }, { n: 3 }], gap_ms: 5 });
    expect(run.record.status).toBe("completed");
    expect(run.results).toEqual([{ n: 3 }]);
    expect(run.job.routineState("step").superseded).toBe(2);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(95);
  });

  test("payloads further apart than wait_ms each come through", async () => {
    const run = await runFlow(through({ class: "Debouncer", config: { wait_ms: 15 } }), {
      items: [{ n: 1 }, { n: 2 }],
      gap_ms: 80,
    });
    expect(run.results).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test("in a sequential flow nothing arrives while it waits, so every payload comes through", async () => {
    // Documented limitation (docs/routines.md): the waiting handler holds the only worker.
    const run = await runFlow(
      { ...through({ class: "Debouncer", config: { wait_ms: 10 } }), execution: undefined },
      {
        items: [{ n: 1 }, { n: 2 }],
      },
    );
    expect(run.results).toEqual([{ n: 1 }, { n: 2 }]);
  });

  test("cancelling the job stops the wait at once; nothing is emitted", async () => {
    const run = await runFlow(
      through({ class: "Debouncer", config: { wait_ms: 5_000 } }),
      { items: [{ n: 1 }] },
      { withinMs: 1_000, whileRunning: cancelAfter(20) },
    );
    expect(run.record.status).toBe("cancelled");
    expect(run.results).toEqual([]);
    expect(run.elapsedMs).toBeLessThan(1_000);
  });
});

describe("Delay", () => {
  test("re-emits the payload unchanged after ms", async () => {
    const run = await runFlow(through({ class: "Delay", config: { ms: 30 } }), { items: [{ n: 1 }] });
    expect(run.results).toEqual([{ n: 1 }]);
    expect(run.elapsedMs).toBeGreaterThanOrEqual(25);
  });

  test("is marked as a side effect, so a dry-run stubs it", () => {
    expect(Delay.sideEffects).toBe(true);
  });

  test("a cancelled job does not wait for it", async () => {
    const run = await runFlow(
      through({ class: "Delay", config: { ms: 5_000 } }),
      { items: [{ n: 1 }] },
      { withinMs: 1_000, whileRunning: cancelAfter(20) },
    );
    expect(run.record.status).toBe("cancelled");
    expect(run.results).toEqual([]);
  });
});
