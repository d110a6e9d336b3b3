import { z } from "zod";
import { LimitExceededError } from "./errors.js";

export const BREAKPOINT_TYPES = ["routine", "slot", "event"] as const;
export type BreakpointType = (typeof BREAKPOINT_TYPES)[number];

/** `== n`, `>= n`, `> n`, `<= n`, `< n` compare the hit count; `% n` holds on every n-th hit. */
const HIT_CONDITION = /^\s*(==|>=|>|<=|<|%)\s*(\d{1,9})\s*$/;

export const BreakpointCreateSchema = z.object({
  type: z.enum(BREAKPOINT_TYPES),
  routine_id: z.string().nullable().optional(),
  slot_name: z.string().nullable().optional(),
  event_name: z.string().nullable().optional(),
  condition: z.string().max(4096).nullable().optional(),
  enabled: z.boolean().default(true),
  hit_condition: z
    .string()
    .regex(HIT_CONDITION, 'hit_condition must look like "== 3", ">= 2" or "% 5"')
    .nullable()
    .optional(),
  /** A logpoint: records a `log` event with this message ({expression} parts rendered) instead of pausing. */
  log_message: z.string().max(4096).nullable().optional(),
});
export type BreakpointCreate = z.input<typeof BreakpointCreateSchema>;

export const BreakpointSchema = z.object({
  breakpoint_id: z.string(),
  job_id: z.string(),
  type: z.enum(BREAKPOINT_TYPES),
  routine_id: z.string().nullable(),
  slot_name: z.string().nullable(),
  event_name: z.string().nullable(),
  condition: z.string().nullable(),
  enabled: z.boolean(),
  hit_count: z.number().int(),
  hit_condition: z.string().nullable(),
  log_message: z.string().nullable(),
});
export type Breakpoint = z.infer<typeof BreakpointSchema>;

export function hitConditionHolds(hitCondition: string | null, hitCount: number): boolean {
  if (hitCondition === null) return true;
  const match = HIT_CONDITION.exec(hitCondition);
  if (!match) return false;
  const n = Number(match[2]);
  switch (match[1]) {
    case "==":
      return hitCount === n;
    case ">=":
      return hitCount >= n;
    case ">":
      return hitCount > n;
    case "<=":
      return hitCount <= n;
    case "<":
      return hitCount < n;
    default:
      return n > 0 && hitCount % n === 0;
  }
}

/** What a breakpoint must name to be meaningful; returned as `{path, message}` for a 422. */
export function breakpointTargetIssue(
  create: z.output<typeof BreakpointCreateSchema>,
): { path: string; message: string } | null {
  if (create.type !== "event" && !create.routine_id) {
    return { path: "routine_id", message: `a ${create.type} breakpoint needs routine_id` };
  }
  if (create.type === "slot" && !create.slot_name)
    return { path: "slot_name", message: "a slot breakpoint needs slot_name" };
  if (create.type === "event" && !create.event_name) {
    return { path: "event_name", message: "an event breakpoint needs event_name" };
  }
  return null;
}

/** The breakpoint as stored and served, from what a client asked for. */
export function breakpointRecord(
  breakpoint_id: string,
  job_id: string,
  create: z.output<typeof BreakpointCreateSchema>,
  hit_count = 0,
): Breakpoint {
  return {
    breakpoint_id,
    job_id,
    type: create.type,
    routine_id: create.routine_id ?? null,
    slot_name: create.type === "slot" ? (create.slot_name ?? null) : null,
    event_name: create.type === "event" ? (create.event_name ?? null) : null,
    condition: create.condition ?? null,
    enabled: create.enabled,
    hit_count,
    hit_condition: create.hit_condition ?? null,
    log_message: create.log_message ?? null,
  };
}

/**
 * `ROUTILUX_MAX_BREAKPOINTS_PER_JOB`: a job may hold at most `limit` breakpoints (each one is checked at every
 * safe point it names). Throws before `adding` more would pass it; `limit` undefined is no limit.
 */
export function checkBreakpointCount(existing: number, adding: number, limit: number | undefined): void {
  if (limit === undefined || existing + adding <= limit) return;
  throw new LimitExceededError(
    `A job may have at most ${limit} breakpoints (ROUTILUX_MAX_BREAKPOINTS_PER_JOB); ` +
      `it has ${existing} and ${adding} more were asked for`,
    { limit, breakpoints: existing + adding },
  );
}
