import { z } from "zod";
import { compileFlow } from "./compiled-flow.js";
import { FlowInvalidError, NotFoundError } from "./errors.js";
import { type FlowDefinition, validateFlow } from "./flow.js";
import { Job } from "./job.js";
import type { RoutineRegistry, SlotHandler } from "./routine.js";
import type { JobEvent, JsonObject } from "./types.js";

export const DryRunRequestSchema = z.object({
  entry_routine_id: z.string(),
  entry_params: z.record(z.string(), z.unknown()).default({}),
  /** Routines that do not run: each delivery to one emits the given events with the given payloads instead. */
  mocks: z.record(z.string(), z.record(z.string(), z.record(z.string(), z.unknown()))).default({}),
  /** Deliveries to run before the dry-run stops (a guard against cycles). */
  max_steps: z.number().int().min(1).max(100_000).default(1000),
  /** Milliseconds the whole dry-run may take. */
  max_ms: z.number().int().min(1).max(60_000).default(5000),
});
export type DryRunRequest = z.input<typeof DryRunRequestSchema>;

export const DryRunResultSchema = z.object({
  valid: z.boolean(),
  trace: z.array(z.record(z.string(), z.unknown())),
  outputs: z.record(z.string(), z.unknown()),
  would_call: z.array(z.string()),
  issues: z.array(z.string()),
});
export type DryRunResult = z.infer<typeof DryRunResultSchema>;

/**
 * Runs a flow in memory without its side effects: mocked routines emit the given payloads, routines marked
 * `sideEffects` (HTTP fetch, delay) are stubbed and listed in `would_call`. Nothing is stored, no job is listed.
 */
export async function dryRun(
  flow: FlowDefinition,
  registry: RoutineRegistry,
  input: DryRunRequest,
): Promise<DryRunResult> {
  const request = DryRunRequestSchema.parse(input);
  const validation = validateFlow(flow, registry);
  const issues = [...validation.errors, ...validation.warnings];
  if (!validation.valid) return { valid: false, trace: [], outputs: {}, would_call: [], issues };
  if (!(request.entry_routine_id in flow.routines))
    throw new NotFoundError("routine", request.entry_routine_id);
  for (const routine_id of Object.keys(request.mocks)) {
    if (!(routine_id in flow.routines))
      throw new FlowInvalidError([`mocks: unknown routine '${routine_id}'`]);
  }

  const wouldCall = new Set<string>();
  const compiled = compileFlow(flow, registry, (routine) => {
    const mock = request.mocks[routine.routine_id];
    if (mock) return mockHandler(mock);
    if (routine.sideEffects) return () => void wouldCall.add(routine.routine_id);
    return undefined;
  });
  const job = new Job({ job_id: "dry-run", flow: compiled, timeout: request.max_ms / 1000 });
  let steps = 0;
  job.log.subscribe((event) => {
    if (event.type === "slot_called" && ++steps > request.max_steps && job.status === "running") job.cancel();
  });
  job.start(request.entry_routine_id, request.entry_params);
  const record = await job.done;
  if (steps > request.max_steps) issues.push(`stopped after max_steps (${request.max_steps}) deliveries`);
  else if (record.status === "failed") issues.push(record.error ?? "failed");
  return {
    valid: true,
    trace: job.log.all().map(toTraceEntry),
    outputs: job.shared,
    would_call: [...wouldCall],
    issues,
  };
}

function mockHandler(events: Record<string, JsonObject>): SlotHandler<unknown> {
  return (_payload, ctx) => {
    for (const [event, payload] of Object.entries(events)) ctx.emit(event, payload);
  };
}

const toTraceEntry = (event: JobEvent): JsonObject => ({ seq: event.seq, type: event.type, ...event.data });
