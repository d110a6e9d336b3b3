import type { AnyRoutineType } from "../../core/routine.js";
import { Aggregator } from "./aggregator.js";
import { Batcher } from "./batcher.js";
import { ConditionalRouter } from "./conditional-router.js";
import { DataValidator } from "./data-validator.js";
import { Debouncer } from "./debouncer.js";
import { Delay } from "./delay.js";
import { Filter } from "./filter.js";
import { HttpFetch } from "./http-fetch.js";
import { Logger } from "./logger.js";
import { Mapper } from "./mapper.js";
import { Sink } from "./sink.js";
import { Splitter } from "./splitter.js";
import { Start } from "./start.js";
import { TextTemplate } from "./text-template.js";

export { Aggregator } from "./aggregator.js";
export { Batcher } from "./batcher.js";
export { type Condition, ConditionSchema, type ConditionSource, conditionFrom } from "./condition.js";
export {
  ConditionalRouter,
  type ConditionalRouterSpec,
  DEFAULT_OUTLET,
  defineConditionalRouter,
  ROUTE_MODES,
  ROUTER_OUTLETS,
  type RouteMode,
} from "./conditional-router.js";
export { DataValidator, JSON_TYPES, type JsonType, validatePayload } from "./data-validator.js";
export { Debouncer } from "./debouncer.js";
export { Delay } from "./delay.js";
export { Filter } from "./filter.js";
export { HTTP_METHODS, HttpFetch, httpFetchRoutine } from "./http-fetch.js";
export { LOG_LEVELS, Logger } from "./logger.js";
export { type MapFunction, Mapper } from "./mapper.js";
export { Sink } from "./sink.js";
export { Splitter } from "./splitter.js";
export { Start } from "./start.js";
export { compileTemplate, type MissingPolicy, type Template, TemplateSchema } from "./template.js";
export { TextTemplate } from "./text-template.js";

/** Every built-in routine type, in the order docs/routines.md presents them. */
export const builtinRoutines: readonly AnyRoutineType[] = Object.freeze([
  Start,
  Mapper,
  Filter,
  ConditionalRouter,
  Splitter,
  Aggregator,
  Batcher,
  Debouncer,
  Delay,
  DataValidator,
  TextTemplate,
  Sink,
  Logger,
  HttpFetch,
]);
