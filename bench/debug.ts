/**
 * What the debugger costs a job that never stops: the same chain-of-10 job run with no debugger, and with 10
 * enabled breakpoints whose conditions never hold, side by side in one process (the ratio survives a noisy
 * machine better than either figure alone). Two placements of the 10 breakpoints:
 *
 * - spread: one on each routine of a chain of 10, so every delivery meets one breakpoint and evaluates its
 *   condition (the usual case: breakpoints set across a flow);
 * - stacked: all 10 on the one routine the source's items go to, so every delivery evaluates 10 conditions
 *   (the worst case).
 *
 * The evaluations/s of a cached condition alone are in bench/expr.ts.
 * Run alone: `npm run bench -- debug`.
 */
import { BreakpointCreateSchema } from "../src/core/breakpoints.js";
import { compileFlow } from "../src/core/compiled-flow.js";
import { JobDebugger } from "../src/core/debugger.js";
import type { FlowDefinition } from "../src/core/flow.js";
import { Job } from "../src/core/job.js";
import { benchFlow, benchRegistry, chainFlow, passIds } from "./bench-flows.js";
import type { BenchRow } from "./report.js";

const ITEMS = 2_000;
const WIDTH = 10;
const BREAKPOINTS = 10;
const RUNS = 41;
const TARGET_ADDED_NS = 1000;
/** Reads the payload like a real condition does, and never holds (every index is ≥ 0). */
const CONDITION = "index < 0 and payload.index != 7";

interface Shape {
  name: string;
  flow: FlowDefinition;
  /** The routine each of the 10 breakpoints sits on. */
  targets: string[];
  /** Items the source emits. */
  items: number;
  deliveries: number;
}

const spread: Shape = {
  name: `chain of ${WIDTH}, one breakpoint on each routine (1 condition per delivery)`,
  flow: chainFlow("bench_debug_chain", WIDTH),
  targets: passIds(WIDTH),
  items: ITEMS,
  deliveries: 1 + ITEMS * WIDTH,
};

const stacked: Shape = {
  name: `source → one routine holding all ${BREAKPOINTS} breakpoints (${BREAKPOINTS} conditions per delivery)`,
  flow: benchFlow("bench_debug_stacked", { source: "BenchSource", target: "BenchSink" }, [
    ["source", "target"],
  ]),
  targets: Array.from({ length: BREAKPOINTS }, () => "target"),
  // As many deliveries as the chain.
  items: ITEMS * WIDTH,
  deliveries: 1 + ITEMS * WIDTH,
};

let jobCounter = 0;

/** One job over `shape`, with its 10 breakpoints armed or with no debugger at all; returns CPU seconds. */
async function runJob(shape: Shape, withBreakpoints: boolean): Promise<number> {
  const job = new Job({
    job_id: `bench-debug-${++jobCounter}`,
    flow: compileFlow(shape.flow, benchRegistry),
  });
  if (withBreakpoints) {
    const debug = new JobDebugger(job);
    shape.targets.forEach((routine_id, i) => {
      debug.add(
        `bp_${i}`,
        BreakpointCreateSchema.parse({ type: "slot", routine_id, slot_name: "input", condition: CONDITION }),
      );
    });
    job.setHooks(debug);
  }
  const started = process.cpuUsage();
  job.start("source", { count: shape.items });
  const record = await job.done;
  const cpu = process.cpuUsage(started);
  if (record.status !== "completed") throw new Error(`bench job ${record.job_id} ended ${record.status}`);
  return (cpu.user + cpu.system) / 1e6;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/**
 * CPU ns per delivery without and with the breakpoints (medians), and what the breakpoints add: the median of the
 * differences within each pair of back-to-back runs. Many short pairs rather than a few long runs, the order
 * inside a pair alternating, because this machine's speed drifts by up to 2× for seconds at a time: a pair sees
 * one speed, a long run sees several.
 */
async function measure(shape: Shape): Promise<{ without: number; with: number; added: number }> {
  await runJob(shape, false); // warm-up: let the JIT settle on both paths
  await runJob(shape, true);
  const without: number[] = [];
  const withBreakpoints: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    if (run % 2 === 0) {
      without.push(await runJob(shape, false));
      withBreakpoints.push(await runJob(shape, true));
    } else {
      withBreakpoints.push(await runJob(shape, true));
      without.push(await runJob(shape, false));
    }
  }
  const perDelivery = (seconds: number) => (seconds * 1e9) / shape.deliveries;
  return {
    without: perDelivery(median(without)),
    with: perDelivery(median(withBreakpoints)),
    added: perDelivery(median(withBreakpoints.map((seconds, i) => seconds - without[i]!))),
  };
}

export async function benchDebug(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const shape of [spread, stacked]) {
    const { without, with: withBreakpoints, added } = await measure(shape);
    rows.push({
      name: `CPU per delivery with ${BREAKPOINTS} never-matching breakpoints: ${shape.name}`,
      value: withBreakpoints,
      unit: "ns",
      baseline: without,
      baselineName: "no debugger",
      lowerIsBetter: true,
      note:
        `adds ${Math.round(added)} ns/delivery (median of ${RUNS} paired runs); ` +
        `${added <= TARGET_ADDED_NS ? "meets" : "misses"} target ≤ ${TARGET_ADDED_NS} ns; ` +
        `${shape.deliveries.toLocaleString("en-US")} deliveries a job`,
    });
  }
  return rows;
}
