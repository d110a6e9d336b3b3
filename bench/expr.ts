/**
 * Expression benchmarks: how fast a cached condition evaluates (beside the same logic written in
 * JavaScript), how fast membership in snapshot data is, and what compiling costs.
 *
 * Run alone: `npm run bench -- expr`.
 */
import { compile, snapshot } from "../src/expr/index.js";
import type { BenchRow } from "./report.js";

/** Runs `batch` (which does `size` operations) until `minMs` have passed; returns operations per second. */
function rate(batch: () => void, size: number, minMs: number): number {
  let operations = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    batch();
    operations += size;
    elapsed = performance.now() - started;
  } while (elapsed < minMs);
  return (operations / elapsed) * 1000;
}

const CONDITION = "index >= 2 and status == 'ok' or retry_count > 3 and not done";

/** The same condition, written directly in JavaScript. */
const conditionInJavaScript = (context: {
  index: number;
  status: string;
  retry_count: number;
  done: boolean;
}) => (context.index >= 2 && context.status === "ok") || (context.retry_count > 3 && !context.done);

export async function benchExpr(options: { minMs?: number } = {}): Promise<BenchRow[]> {
  const minMs = options.minMs ?? 1000;
  const plain = [
    { index: 3, status: "ok", retry_count: 0, done: false },
    { index: 1, status: "ok", retry_count: 5, done: false },
    { index: 0, status: "error", retry_count: 5, done: true },
    { index: 2, status: "error", retry_count: 1, done: false },
  ];
  const contexts = plain.map((context) => snapshot(context) as Record<string, unknown>);
  let hits = 0; // consumed below, so no engine can drop the work as dead code

  const condition = compile(CONDITION);
  const batch = 10_000;
  const evaluateCondition = () => {
    for (let i = 0; i < batch; i++) if (condition.evaluate(contexts[i & 3]!)) hits++;
  };
  const evaluateInJavaScript = () => {
    for (let i = 0; i < batch; i++) if (conditionInJavaScript(plain[i & 3]!)) hits++;
  };
  rate(evaluateCondition, batch, minMs / 4); // warm-up
  rate(evaluateInJavaScript, batch, minMs / 4);
  const evaluations = rate(evaluateCondition, batch, minMs);
  const javaScript = rate(evaluateInJavaScript, batch, minMs);

  const blocked = snapshot(Array.from({ length: 1000 }, (_, i) => `u-${i}`));
  const membership = compile("user_id in blocked_users");
  const memberContexts = ["u-999", "u-1000"].map((user_id) => ({ user_id, blocked_users: blocked }));
  const evaluateMembership = () => {
    for (let i = 0; i < 1000; i++) if (membership.evaluate(memberContexts[i & 1]!)) hits++;
  };
  rate(evaluateMembership, 1000, minMs / 4);
  const memberships = rate(evaluateMembership, 1000, minMs);

  // Distinct sources, so nothing is reused between compilations.
  const sources = Array.from(
    { length: 500 },
    (_, i) => `len(items) > ${i} && items[0].priority == 'high' or payload?.score ?? 0 >= 0.${i}`,
  );
  let next = 0;
  const compileOne = () => {
    compile(sources[next++ % sources.length]!);
  };
  rate(compileOne, 1, minMs / 4);
  const compilations = rate(compileOne, 1, minMs);

  if (hits < 0) throw new Error("unreachable");
  return [
    {
      name: "evaluate a cached 5-operator condition",
      value: Math.round(evaluations),
      unit: "evaluations/s",
      baseline: Math.round(javaScript),
      baselineName: "same logic as a JS function",
      note: CONDITION,
    },
    {
      name: "membership in a 1000-item snapshot array",
      value: Math.round(memberships),
      unit: "evaluations/s",
      note: "user_id in blocked_users (found at the end / not found)",
    },
    {
      name: "compile",
      value: Math.round((1_000_000 / compilations) * 10) / 10,
      unit: "µs/expression",
      lowerIsBetter: true,
      note: "parse, check and build closures for a 9-operator expression",
    },
  ];
}
