/**
 * The `routilux` package: define routines, load flows, run jobs in your own program, and serve the HTTP API as a
 * Hono app. Everything here is runtime-neutral (Node, Bun, Workers); `routilux/node` adds the Node server.
 * See docs/getting-started.md.
 */

// Configuration schemas of your routines use the same zod the engine parses them with.
export { z } from "zod";
export { type AppType, type CreateAppOptions, createApp, type RouterFactory } from "./api/app.js";
export { bunSocketAccess, nodeSocketAccess, type SocketAccess } from "./api/ws/index.js";
export { type Config, ConfigError, loadConfig } from "./config.js";
export type { Breakpoint, BreakpointCreate, BreakpointType } from "./core/breakpoints.js";
export {
  AlreadyExistsError,
  FlowInvalidError,
  InvalidStateError,
  NotFoundError,
  RoutiluxError,
  RoutineUsageError,
} from "./core/errors.js";
export {
  type Connection,
  type ErrorHandler,
  type FlowDefinition,
  type FlowValidation,
  type RoutineInstance,
  validateFlow,
} from "./core/flow.js";
export type { Job } from "./core/job.js";
export {
  type AnyRoutineType,
  defineRoutine,
  Routine,
  type RoutineContext,
  RoutineRegistry,
  type RoutineSpec,
  type RoutineType,
  type SlotDeclaration,
  type SlotHandler,
} from "./core/routine.js";
export {
  ERROR_STRATEGIES,
  type ErrorStrategy,
  EXECUTION_STRATEGIES,
  type ExecutionStrategy,
  isFinished,
  JOB_EVENT_TYPES,
  JOB_STATUSES,
  type JobEvent,
  type JobEventType,
  type JobRecord,
  type JobStatus,
  type JsonObject,
} from "./core/types.js";
export {
  exportFlowDsl,
  type FlowDslDocument,
  FlowDslDocumentSchema,
  flowToDslDocument,
  parseAndValidateFlowDsl,
  parseFlowDsl,
} from "./dsl/index.js";
export {
  createRoutilux,
  type FinishedJob,
  type FlowSource,
  type Routilux,
  type RoutiluxOptions,
  type RunOptions,
  type StartedJob,
} from "./entry/create-routilux.js";
// The built-in routines (Start, Mapper, Filter, …, Sink) and the demo flows' routines.
export * from "./routines/builtins/index.js";
export { defaultRegistry, demoFlows, demoRoutines } from "./routines/index.js";
export type { DebugService, DebugSession } from "./service/debug-service.js";
export type { FlowService, FlowView } from "./service/flow-service.js";
export type { JobService, StartJobRequest } from "./service/job-service.js";
export { MemoryStore } from "./service/memory-store.js";
export { createServices, type Services, type ServicesOptions } from "./service/services.js";
export type { SqliteDriver } from "./service/sqlite/driver.js";
export { SqliteStore } from "./service/sqlite/sqlite-store.js";
export type { Store } from "./service/store.js";
