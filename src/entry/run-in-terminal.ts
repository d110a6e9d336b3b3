import type { FlowDefinition } from "../core/flow.js";
import type { RoutineRegistry } from "../core/routine.js";
import type { JobEvent, JsonObject } from "../core/types.js";
import { MemoryStore } from "../service/memory-store.js";
import { createServices } from "../service/services.js";
import { UsageError } from "./usage-error.js";

export interface TerminalRun {
  flow: FlowDefinition;
  registry: RoutineRegistry;
  /** `--entry`; by default the flow's only routine that no connection leads to. */
  entry?: string;
  params: JsonObject;
  print: (line: string) => void;
}

/** Keep the terminal readable on big jobs: every lifecycle line, but at most this many routine lines. */
const MAX_ROUTINE_LINES = 200;

/** `routilux run`: one job in this process over a memory store, with live progress and a summary. Exit code. */
export async function runInTerminal({ flow, registry, entry, params, print }: TerminalRun): Promise<number> {
  const entry_routine_id = entry ?? defaultEntry(flow);
  const services = await createServices({ store: new MemoryStore(), registry, demoFlows: false });
  await services.flows.replace(flow);
  const started = Date.now();
  let events = 0;
  let routineLines = 0;
  services.jobs.subscribe((event) => {
    events++;
    const line = progressLine(event);
    if (line && (event.type.startsWith("job_") || routineLines++ < MAX_ROUTINE_LINES)) print(line);
  });
  const job = await services.jobs.start({ flow_id: flow.flow_id, entry_routine_id, entry_params: params });
  const finished = await services.jobs.liveJob(job.job_id)!.done;
  const state = await services.jobs.state(job.job_id);
  print(`\nSummary: ${finished.status} in ${((Date.now() - started) / 1000).toFixed(3)} s, ${events} events`);
  for (const [routine_id, s] of Object.entries(state.routine_states)) {
    print(`  ${routine_id}: ${s.execution_count} run(s), ${s.status}`);
  }
  if (Object.keys(state.shared_data).length > 0) print(`Shared data: ${JSON.stringify(state.shared_data)}`);
  await services.close();
  return finished.status === "completed" ? 0 : 1;
}

/** The routine a job naturally starts at: the only one that no connection leads to. */
export function defaultEntry(flow: FlowDefinition): string {
  const targets = new Set(flow.connections.map((connection) => connection.target_routine));
  const roots = Object.keys(flow.routines).filter((routine_id) => !targets.has(routine_id));
  if (roots.length === 1) return roots[0]!;
  throw new UsageError(
    `flow '${flow.flow_id}' has ${roots.length === 0 ? "no routine" : `several routines (${roots.join(", ")})`} ` +
      "without incoming connections: choose one with --entry <routine_id>",
  );
}

function progressLine(event: JobEvent): string | null {
  const d = event.data;
  switch (event.type) {
    case "routine_completed":
      return `  ✓ ${d.routine_id}.${d.slot_name} ${((d.duration as number) * 1000).toFixed(1)} ms`;
    case "routine_failed":
      return `  ✗ ${d.routine_id}.${d.slot_name}: ${d.error} (${d.status})`;
    case "log":
      return `  · ${d.routine_id}: ${d.message}`;
    case "job_started":
    case "job_completed":
    case "job_failed":
    case "job_cancelled":
      return `${event.type.replace("job_", "job ")}${d.error ? `: ${d.error}` : ""}`;
    default:
      return null;
  }
}
