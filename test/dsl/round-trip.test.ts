import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { FlowInvalidError } from "../../src/core/errors.js";
import type { FlowDefinition } from "../../src/core/flow.js";
import { ERROR_STRATEGIES, EXECUTION_STRATEGIES } from "../../src/core/types.js";
import { DSL_FORMATS, exportFlowDsl, flowToDslDocument, parseFlowDsl } from "../../src/dsl/index.js";
import { demoFlows } from "../../src/routines/index.js";

const now = "2026-01-15T08:30:00.000Z";

/** Export, then import with the flow's own timestamp: the DSL does not carry timestamps. */
const reimport = (flow: FlowDefinition, format: (typeof DSL_FORMATS)[number]): FlowDefinition =>
  parseFlowDsl(exportFlowDsl(flow, format), { now: flow.created_at });

const flowWithEverything: FlowDefinition = {
  flow_id: "orders.v2",
  routines: {
    start: { class_name: "Start", config: {}, error_handler: null },
    "fetch.user": {
      class_name: "HttpFetch",
      config: { url: "https://example.com/users/{{id}}", headers: { "x-key": "k" }, timeout_ms: 500 },
      error_handler: { strategy: "retry", max_retries: 5, retry_delay: 0.25, retry_backoff: 1.5 },
    },
    filter: {
      class_name: "Filter",
      config: { condition: "status == 'active' and len(tags) > 0" },
      error_handler: { strategy: "skip", max_retries: 3, retry_delay: 1, retry_backoff: 2 },
    },
    sink: {
      class_name: "Sink",
      config: { key: "true", nested: { list: [1, "2", null, true, { a: "" }], yes: "yes", n: "1e3" } },
      error_handler: { strategy: "continue", max_retries: 0, retry_delay: 0, retry_backoff: 1 },
    },
  },
  connections: [
    {
      source_routine: "start",
      source_event: "output",
      target_routine: "fetch.user",
      target_slot: "input",
      param_mapping: { order_id: "id" },
    },
    {
      source_routine: "fetch.user",
      source_event: "response",
      target_routine: "filter",
      target_slot: "input",
      param_mapping: {},
    },
    {
      source_routine: "filter",
      source_event: "passed",
      target_routine: "sink",
      target_slot: "input",
      param_mapping: null,
    },
  ],
  execution_strategy: "concurrent",
  max_workers: 16,
  timeout: 12.5,
  created_at: now,
  updated_at: now,
};

describe("export then import gives back the same flow", () => {
  for (const format of DSL_FORMATS) {
    for (const flow of demoFlows(now)) {
      test(`${flow.flow_id} (${format})`, () => {
        expect(reimport(flow, format)).toEqual(flow);
      });
    }

    test(`error handlers, param mappings (empty and null), dotted ids, execution and timeout (${format})`, () => {
      expect(reimport(flowWithEverything, format)).toEqual(flowWithEverything);
    });
  }

  test("timestamps come from the importer's `now`", () => {
    const flow = { ...flowWithEverything, created_at: "2025-01-01T00:00:00.000Z", updated_at: now };
    const later = "2026-02-01T00:00:00.000Z";
    expect(parseFlowDsl(exportFlowDsl(flow, "yaml"), { now: later })).toEqual({
      ...flow,
      created_at: later,
      updated_at: later,
    });
  });

  test("any flow the DSL can express (property)", () => {
    fc.assert(
      fc.property(arbitraryFlow, fc.constantFrom(...DSL_FORMATS), (flow, format) => {
        expect(reimport(flow, format)).toEqual(flow);
      }),
      { numRuns: 100 },
    );
  });
});

describe("exported text", () => {
  test("YAML of linear_flow reads like a hand-written file", () => {
    expect(exportFlowDsl(demoFlows(now)[0]!, "yaml")).toBe(`flow_id: linear_flow
routines:
  source:
    class: DemoSource
  validator:
    class: DemoValidator
  transformer:
    class: DemoTransformer
  sink:
    class: DemoSink
connections:
  - from: source.output
    to: validator.input
  - from: validator.valid
    to: transformer.input
  - from: transformer.output
    to: sink.input
execution:
  strategy: sequential
  max_workers: 5
  timeout: null
`);
  });

  test("JSON is the same document", () => {
    const flow = demoFlows(now)[3]!;
    expect(JSON.parse(exportFlowDsl(flow, "json"))).toEqual(flowToDslDocument(flow));
    expect(flowToDslDocument(flow).routines).toMatchObject({
      faulty: {
        class: "DemoFaulty",
        error_handler: { strategy: "stop", max_retries: 3, retry_delay: 1, retry_backoff: 2 },
      },
    });
  });

  test("a flow the DSL cannot carry is refused, naming what and where", () => {
    const withFunction: FlowDefinition = {
      ...flowWithEverything,
      routines: { f: { class_name: "Filter", config: { condition: () => true }, error_handler: null } },
      connections: [],
    };
    expect(() => exportFlowDsl(withFunction, "yaml")).toThrow(FlowInvalidError);
    expect(() => exportFlowDsl(withFunction, "yaml")).toThrow(
      "routine 'f': config.condition: a function is not JSON data",
    );
    const dottedEvent: FlowDefinition = {
      ...flowWithEverything,
      connections: [{ ...flowWithEverything.connections[0]!, source_event: "out.put" }],
    };
    expect(() => flowToDslDocument(dottedEvent)).toThrow(
      `connection 0: event 'out.put' cannot be written in the DSL (event names have no ".")`,
    );
    const dangling: FlowDefinition = { ...flowWithEverything, routines: {} };
    expect(() => flowToDslDocument(dangling)).toThrow("connection 0: unknown source routine 'start'");
  });
});

/** Keeps generated config plain JSON data: no -0 (JSON writes it as 0) and no `__proto__` keys (refused). */
const jsonData = fc
  .jsonValue({ maxDepth: 3 })
  .map(
    (value) =>
      JSON.parse(JSON.stringify(value), (key, v) => (key === "__proto__" ? undefined : v)) as unknown,
  );

const id = fc.stringMatching(/^[A-Za-z0-9_.:-]{1,24}$/).filter((s) => s !== "__proto__");
const portName = fc.stringMatching(/^[A-Za-z0-9_:-]{1,16}$/);
const text = fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s !== "__proto__");

const errorHandler = fc.option(
  fc.record({
    strategy: fc.constantFrom(...ERROR_STRATEGIES),
    max_retries: fc.integer({ min: 0, max: 100 }),
    retry_delay: fc.double({ min: 0, max: 3600, noNaN: true }),
    retry_backoff: fc.double({ min: 1, max: 100, noNaN: true }),
  }),
  { nil: null },
);

const arbitraryFlow: fc.Arbitrary<FlowDefinition> = fc
  .record({
    flow_id: id,
    ids: fc.uniqueArray(id, { minLength: 1, maxLength: 5 }),
    classes: fc.array(fc.constantFrom("Start", "Mapper", "Filter", "Sink", "NotRegistered"), {
      minLength: 5,
      maxLength: 5,
    }),
    configs: fc.array(fc.dictionary(text, jsonData, { maxKeys: 4 }), { minLength: 5, maxLength: 5 }),
    handlers: fc.array(errorHandler, { minLength: 5, maxLength: 5 }),
    links: fc.array(
      fc.record({
        from: fc.nat(),
        to: fc.nat(),
        event: portName,
        slot: portName,
        mapping: fc.option(fc.dictionary(text, text, { maxKeys: 3 }), { nil: null }),
      }),
      { maxLength: 6 },
    ),
    strategy: fc.constantFrom(...EXECUTION_STRATEGIES),
    max_workers: fc.integer({ min: 1, max: 1024 }),
    timeout: fc.option(fc.double({ min: 0.001, max: 1e6, noNaN: true }), { nil: null }),
  })
  .map(
    (g): FlowDefinition => ({
      flow_id: g.flow_id,
      routines: Object.fromEntries(
        g.ids.map((routineId, i) => [
          routineId,
          { class_name: g.classes[i]!, config: g.configs[i]!, error_handler: g.handlers[i]! },
        ]),
      ),
      connections: g.links.map((link) => ({
        source_routine: g.ids[link.from % g.ids.length]!,
        source_event: link.event,
        target_routine: g.ids[link.to % g.ids.length]!,
        target_slot: link.slot,
        param_mapping: link.mapping,
      })),
      execution_strategy: g.strategy,
      max_workers: g.max_workers,
      timeout: g.timeout,
      created_at: now,
      updated_at: now,
    }),
  );
