import { describe, expect, test } from "vitest";
import { FlowInvalidError } from "../../src/core/errors.js";
import type { FlowDefinition } from "../../src/core/flow.js";
import { defineConditionalRouter } from "../../src/routines/index.js";
import { flowFrom, runDefinition, runFlow, testRegistry } from "./support/run-flow.js";

const orders = [
  { id: 1, total: 250, priority: "high" },
  { id: 2, total: 20, priority: "low" },
  { id: 3, total: 90, priority: "high" },
];

const filterFlow = (condition: unknown) => ({
  routines: {
    start: { class: "Feed" },
    filter: { class: "Filter", config: { condition } },
    passed: { class: "Sink", config: { key: "passed" } },
    rejected: { class: "Sink", config: { key: "rejected" } },
  },
  connections: [
    { from: "start.output", to: "filter.input" },
    { from: "filter.passed", to: "passed.input" },
    { from: "filter.rejected", to: "rejected.input" },
  ],
});

describe("Filter", () => {
  test("an expression over payload fields splits payloads into passed and rejected, unchanged", async () => {
    const run = await runFlow(filterFlow("total >= 50 and priority == 'high'"), { items: orders });
    expect(run.job.shared.passed).toEqual([orders[0], orders[2]]);
    expect(run.job.shared.rejected).toEqual([orders[1]]);
  });

  test("`payload` is the whole payload: a field that may be missing reads as null through it", async () => {
    const run = await runFlow(filterFlow("payload.coupon != null"), {
      items: [{ id: 1 }, { id: 2, coupon: "X" }],
    });
    expect(run.job.shared.passed).toEqual([{ id: 2, coupon: "X" }]);
  });

  test("a bare name that is missing is a run-time error, which fails the delivery (strategy stop)", async () => {
    const run = await runFlow(filterFlow("coupon != null"), { items: [{ id: 1 }] });
    expect(run.record.status).toBe("failed");
    expect(run.record.error).toContain("unknown name 'coupon'");
  });

  test("an expression that does not parse makes the flow invalid, naming the routine", () => {
    expect(() => flowFrom(filterFlow("total >= "))).toThrow(FlowInvalidError);
    expect(() => flowFrom(filterFlow("total >= "))).toThrow(
      /routine 'filter': invalid config at 'condition'/,
    );
  });

  test("from code, the condition can be a predicate", async () => {
    const flow: FlowDefinition = flowFrom(filterFlow("true"));
    flow.routines.filter!.config = { condition: (p: Record<string, unknown>) => Number(p.total) < 100 };
    const run = await runDefinition(flow, { items: orders });
    expect(run.job.shared.passed).toEqual([orders[1], orders[2]]);
  });
});

const routerFlow = (config: unknown, outlets: string[]) => ({
  routines: {
    start: { class: "Feed" },
    router: { class: "ConditionalRouter", config },
    ...Object.fromEntries(outlets.map((outlet) => [outlet, { class: "Sink", config: { key: outlet } }])),
  },
  connections: [
    { from: "start.output", to: "router.input" },
    ...outlets.map((outlet) => ({ from: `router.${outlet}`, to: `${outlet}.input` })),
  ],
});

describe("ConditionalRouter", () => {
  const routes = [{ condition: "total >= 200" }, { condition: "priority == 'high'" }];

  test("route i leaves through route_i; the first match wins; no match goes to default", async () => {
    const run = await runFlow(routerFlow({ routes }, ["route_0", "route_1", "default"]), { items: orders });
    expect(run.job.shared).toEqual({ route_0: [orders[0]], route_1: [orders[2]], default: [orders[1]] });
  });

  test("mode all sends a payload through every matching route", async () => {
    const run = await runFlow(routerFlow({ routes, mode: "all" }, ["route_0", "route_1", "default"]), {
      items: orders,
    });
    expect(run.job.shared).toEqual({
      route_0: [orders[0]],
      route_1: [orders[0], orders[2]],
      default: [orders[1]],
    });
  });

  test("a route may name its outlet; two routes to one outlet emit once", async () => {
    const config = {
      mode: "all",
      routes: [
        { condition: "total >= 200", event: "route_5" },
        { condition: "priority == 'high'", event: "route_5" },
      ],
    };
    const run = await runFlow(routerFlow(config, ["route_5", "default"]), { items: orders });
    expect(run.job.shared).toEqual({ route_5: [orders[0], orders[2]], default: [orders[1]] });
  });

  test("more routes than outlets, or an outlet that does not exist, make the flow invalid", () => {
    const nine = Array.from({ length: 9 }, () => ({ condition: "true" }));
    expect(() => flowFrom(routerFlow({ routes: nine }, []))).toThrow(
      /routine 'router': invalid config at 'routes'/,
    );
    expect(() => flowFrom(routerFlow({ routes: [{ condition: "true", event: "urgent" }] }, []))).toThrow(
      /routine 'router': invalid config at 'routes.0.event'/,
    );
    expect(() => flowFrom(routerFlow({ routes }, ["urgent"]))).toThrow(
      "routine 'router' has no event 'urgent'",
    );
  });
});

describe("defineConditionalRouter", () => {
  const PriorityRouter = defineConditionalRouter({
    name: "PriorityRouter",
    routes: [
      { event: "urgent", condition: "priority == 'high' and total >= 100" },
      { event: "normal", condition: "priority == 'high'" },
    ],
    default_event: "later",
  });

  test("defines a type whose events are the route names", async () => {
    expect(PriorityRouter.events).toEqual(["urgent", "normal", "later"]);
    const registry = testRegistry().register(PriorityRouter);
    const dsl = {
      routines: {
        start: { class: "Feed" },
        router: { class: "PriorityRouter" },
        urgent: { class: "Sink", config: { key: "urgent" } },
        normal: { class: "Sink", config: { key: "normal" } },
        later: { class: "Sink", config: { key: "later" } },
      },
      connections: [
        { from: "start.output", to: "router.input" },
        { from: "router.urgent", to: "urgent.input" },
        { from: "router.normal", to: "normal.input" },
        { from: "router.later", to: "later.input" },
      ],
    };
    const run = await runFlow(dsl, { items: orders }, { registry });
    expect(run.job.shared).toEqual({ urgent: [orders[0]], normal: [orders[2]], later: [orders[1]] });
  });

  test("without default_event an unmatched payload is dropped; predicates work too", async () => {
    const Big = defineConditionalRouter({
      name: "Big",
      routes: [{ event: "big", condition: (p) => Number(p.total) > 100 }],
    });
    const registry = testRegistry().register(Big);
    const run = await runFlow(
      {
        routines: { start: { class: "Feed" }, router: { class: "Big" }, sink: { class: "Sink" } },
        connections: [
          { from: "start.output", to: "router.input" },
          { from: "router.big", to: "sink.input" },
        ],
      },
      { items: orders },
      { registry },
    );
    expect(run.results).toEqual([orders[0]]);
  });

  test("a route expression that does not parse throws when the type is defined", () => {
    expect(() =>
      defineConditionalRouter({ name: "Bad", routes: [{ event: "x", condition: "1 +" }] }),
    ).toThrow();
  });
});
