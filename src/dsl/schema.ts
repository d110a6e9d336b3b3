import { z } from "zod";
import { ErrorHandlerSchema } from "../core/flow.js";
import { MAX_JOB_TIMEOUT_SECONDS } from "../core/timers.js";
import { EXECUTION_STRATEGIES } from "../core/types.js";

/**
 * The flow DSL document, exactly as docs/dsl.md documents it:
 * `{flow_id?, routines: {<id>: {class, config?, error_handler?}}, connections: [{from, to, param_mapping?}], execution?}`.
 *
 * Every object is strict: a misspelt field (`clas`) is an error, not silently dropped. The one leniency is
 * `name` and `description` at the top level, which people write to label a file; they are accepted and not
 * stored (a FlowDefinition has no place for them).
 */

/** The contract's id rule (`flow_id`, `routine_id`): `^[A-Za-z0-9_.:-]{1,128}$`. */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Event and slot names: the id alphabet without ".". `from: "a.b.out"` splits on the LAST dot, so any
 * contract-valid routine id (dots included) can be written, and the name after the dot never has one.
 */
export const PORT_NAME_PATTERN = /^[A-Za-z0-9_:-]{1,128}$/;

/** Greedy first group: the regex engine backtracks to the last ".", which is the separator. */
const ENDPOINT_PATTERN = /^([A-Za-z0-9_.:-]{1,128})\.([A-Za-z0-9_:-]{1,128})$/;

export interface Endpoint {
  routine: string;
  /** The event (for `from`) or the slot (for `to`). */
  port: string;
}

export function parseEndpoint(text: string): Endpoint | null {
  const match = ENDPOINT_PATTERN.exec(text);
  return match ? { routine: match[1]!, port: match[2]! } : null;
}

export function formatEndpoint(routine: string, port: string): string {
  return `${routine}.${port}`;
}

const ID_RULE = "letters, digits and _ . : - only, 1 to 128 characters";

const endpoint = (field: "from" | "to", port: "event" | "slot") =>
  z
    .string({
      error: (issue) =>
        issue.input === undefined ? `'${field}' is required` : `'${field}' must be a string`,
    })
    .refine((text) => parseEndpoint(text) !== null, {
      message: `'${field}' must look like "<routine>.<${port}>" (${port} names have no ".")`,
    });

const ErrorHandlerDslSchema = z.strictObject(ErrorHandlerSchema.shape);

const RoutineDslSchema = z.strictObject({
  class: z
    .string({
      error: (issue) => (issue.input === undefined ? "'class' is required" : "'class' must be a string"),
    })
    .min(1, "'class' must not be empty")
    .max(128, "'class' is longer than 128 characters"),
  config: z.record(z.string(), z.unknown()).optional(),
  error_handler: ErrorHandlerDslSchema.nullable().optional(),
});

const ConnectionDslSchema = z.strictObject({
  from: endpoint("from", "event"),
  to: endpoint("to", "slot"),
  /** `{event_param: slot_param}`; null and absent both mean "pass the payload through". */
  param_mapping: z.record(z.string().min(1), z.string().min(1)).nullable().optional(),
});

const ExecutionDslSchema = z.strictObject({
  strategy: z.enum(EXECUTION_STRATEGIES).optional(),
  max_workers: z.number().int().min(1).max(1024).optional(),
  /** Seconds, at most 30 days; null for none. */
  timeout: z
    .number()
    .positive()
    .max(MAX_JOB_TIMEOUT_SECONDS, `timeout must be at most ${MAX_JOB_TIMEOUT_SECONDS} seconds (30 days)`)
    .nullable()
    .optional(),
});

export const FlowDslDocumentSchema = z.strictObject({
  flow_id: z.string().regex(ID_PATTERN, `flow_id must use ${ID_RULE}`).optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  routines: z
    .record(z.string().regex(ID_PATTERN, `routine ids must use ${ID_RULE}`), RoutineDslSchema)
    .default({}),
  connections: z.array(ConnectionDslSchema).default([]),
  execution: ExecutionDslSchema.optional(),
});

/** A DSL document as written (optional fields optional). */
export type FlowDslDocument = z.input<typeof FlowDslDocumentSchema>;
/** A DSL document after parsing (defaults applied). */
export type ParsedFlowDslDocument = z.output<typeof FlowDslDocumentSchema>;
export type RoutineDsl = z.input<typeof RoutineDslSchema>;
export type ConnectionDsl = z.input<typeof ConnectionDslSchema>;
export type ExecutionDsl = z.input<typeof ExecutionDslSchema>;

/** Field names per object, for "unknown field" messages that say what would have been accepted. */
export const DSL_FIELDS = {
  document: Object.keys(FlowDslDocumentSchema.shape),
  routine: Object.keys(RoutineDslSchema.shape),
  error_handler: Object.keys(ErrorHandlerDslSchema.shape),
  connection: Object.keys(ConnectionDslSchema.shape),
  execution: Object.keys(ExecutionDslSchema.shape),
} as const;
