import { z } from "zod";
import type { Breakpoint, BreakpointCreate } from "../core/breakpoints.js";
import type { CallFrame, JobDebugger } from "../core/debugger.js";
import type { JsonObject } from "../core/types.js";

export const PausedAtSchema = z.object({
  routine_id: z.string().nullable(),
  slot_name: z.string().nullable(),
  event_name: z.string().nullable(),
  breakpoint_id: z.string().nullable(),
});

export const DebugSessionSchema = z.union([
  z.object({
    session_id: z.string(),
    job_id: z.string(),
    status: z.enum(["running", "paused", "stepping"]),
    paused_at: PausedAtSchema.nullable(),
    call_stack_depth: z.number().int(),
  }),
  z.object({ status: z.literal("no_session"), job_id: z.string() }),
]);
export type DebugSession = z.infer<typeof DebugSessionSchema>;

export const EvaluationSchema = z.object({
  result: z.unknown(),
  type: z.enum(["number", "string", "boolean", "null", "array", "object"]).nullable(),
  error: z.string().nullable(),
});
export type Evaluation = z.infer<typeof EvaluationSchema>;

/** The session of a live job's debugger: where it is paused, or whether it is stepping. */
export function debugSession(debug: JobDebugger): DebugSession {
  const { job } = debug;
  const at = job.pausedAt;
  const paused = job.status === "paused";
  return {
    session_id: `dbg_${job.job_id}`,
    job_id: job.job_id,
    status: paused ? "paused" : debug.stepping ? "stepping" : "running",
    paused_at:
      paused && at
        ? {
            routine_id: at.routine_id,
            slot_name: at.slot_name,
            event_name: at.event_name,
            breakpoint_id: at.breakpoint_id,
          }
        : null,
    call_stack_depth: paused ? debug.callStack().length : 0,
  };
}

/**
 * What the API asks of the debugger. Unknown ids throw `NotFoundError`; calls that need a paused job throw
 * `InvalidStateError`; a condition that does not parse throws `ExpressionError`.
 */
export interface DebugService {
  createBreakpoint(job_id: string, create: BreakpointCreate): Promise<Breakpoint>;
  listBreakpoints(job_id: string): Promise<Breakpoint[]>;
  setBreakpointEnabled(job_id: string, breakpoint_id: string, enabled: boolean): Promise<Breakpoint>;
  deleteBreakpoint(job_id: string, breakpoint_id: string): Promise<void>;
  session(job_id: string): Promise<DebugSession>;
  resume(job_id: string): Promise<void>;
  step(job_id: string, mode: "over" | "into"): Promise<void>;
  variables(
    job_id: string,
    routine_id?: string,
  ): Promise<{ routine_id: string | null; variables: JsonObject }>;
  setVariable(job_id: string, name: string, value: unknown): Promise<void>;
  callStack(job_id: string): Promise<CallFrame[]>;
  /** Runs an expression at the paused point; an expression that fails comes back in `error`. */
  evaluate(job_id: string, expression: string, frame_index: number): Promise<Evaluation>;
}
