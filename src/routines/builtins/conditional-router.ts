import { z } from "zod";
import { defineRoutine, type RoutineType } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { type Condition, ConditionSchema, type ConditionSource, conditionFrom } from "./condition.js";

/**
 * Routing a payload to the first (or every) route whose condition holds.
 *
 * A routine type's events are fixed when the type is defined — validateFlow checks `from: router.<event>`
 * against them — so routes cannot invent event names per flow. Two ways follow from that:
 * - `defineConditionalRouter({ name, routes: [{event: "urgent", condition}] })` defines a new type whose
 *   events are the route names. The natural form whenever code registers the routines a server offers.
 * - `ConditionalRouter`, registered by default, for flows written in the DSL alone: its events are the fixed
 *   outlets `route_0` … `route_7` plus `default`; route i leaves through `route_i` unless it names another.
 */

export const ROUTE_MODES = ["first", "all"] as const;
export type RouteMode = (typeof ROUTE_MODES)[number];

interface CompiledRoute {
  event: string;
  condition: Condition;
}

/** The events a payload leaves through; each event at most once, in route order. */
function matchingEvents(payload: JsonObject, routes: readonly CompiledRoute[], mode: RouteMode): string[] {
  const events: string[] = [];
  for (const route of routes) {
    if (events.includes(route.event) || !route.condition(payload)) continue;
    events.push(route.event);
    if (mode === "first") break;
  }
  return events;
}

export const ROUTER_OUTLETS = [
  "route_0",
  "route_1",
  "route_2",
  "route_3",
  "route_4",
  "route_5",
  "route_6",
  "route_7",
] as const;
export const DEFAULT_OUTLET = "default";

const RouterConfig = z
  .strictObject({
    routes: z
      .array(z.strictObject({ condition: ConditionSchema, event: z.enum(ROUTER_OUTLETS).optional() }))
      .min(1)
      .max(ROUTER_OUTLETS.length),
    mode: z.enum(ROUTE_MODES).default("first"),
  })
  .transform(({ routes, mode }) => ({
    mode,
    routes: routes.map(
      (route, index): CompiledRoute => ({
        event: route.event ?? ROUTER_OUTLETS[index]!,
        condition: route.condition,
      }),
    ),
  }));

export const ConditionalRouter = defineRoutine({
  name: "ConditionalRouter",
  description:
    "Emits the payload unchanged through the outlet of the first (mode: all — every) route whose condition holds: route i leaves as `route_i`; no match leaves as `default`.",
  slots: ["input"],
  events: [...ROUTER_OUTLETS, DEFAULT_OUTLET],
  config: RouterConfig,
  handlers: {
    input(payload, ctx) {
      const events = matchingEvents(payload, ctx.config.routes, ctx.config.mode);
      if (events.length === 0) events.push(DEFAULT_OUTLET);
      for (const event of events) ctx.emit(event, payload);
    },
  },
});

export interface ConditionalRouterSpec {
  /** The routine type's name (the DSL's `class`). */
  name: string;
  description?: string;
  /** Each route's `event` becomes an event of the type. */
  routes: readonly { event: string; condition: ConditionSource }[];
  /** Where a payload no route matches goes; without it such a payload is dropped. */
  default_event?: string;
  mode?: RouteMode;
}

/** Defines a router type with named events. Expressions compile now: a bad one throws ExpressionError here. */
export function defineConditionalRouter(spec: ConditionalRouterSpec): RoutineType<Record<string, never>> {
  if (spec.routes.length === 0) throw new TypeError(`router '${spec.name}': at least one route is needed`);
  const routes = spec.routes.map(
    (route): CompiledRoute => ({ event: route.event, condition: conditionFrom(route.condition) }),
  );
  const mode = spec.mode ?? "first";
  const fallback = spec.default_event;
  const events = [
    ...new Set([...routes.map((route) => route.event), ...(fallback === undefined ? [] : [fallback])]),
  ];
  return defineRoutine({
    name: spec.name,
    description: spec.description ?? `Routes each payload by condition to: ${events.join(", ")}.`,
    slots: ["input"],
    events,
    config: z.strictObject({}),
    handlers: {
      input(payload, ctx) {
        const matched = matchingEvents(payload, routes, mode);
        if (matched.length === 0 && fallback !== undefined) matched.push(fallback);
        for (const event of matched) ctx.emit(event, payload);
      },
    },
  });
}
