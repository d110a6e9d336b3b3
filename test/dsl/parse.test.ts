import { describe, expect, test } from "vitest";
import { FlowInvalidError } from "../../src/core/errors.js";
import { parseAndValidateFlowDsl, parseFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry, demoFlows } from "../../src/routines/index.js";
import { linearFlowDsl } from "../support/linear-flow-dsl.js";

const now = "2026-01-15T08:30:00.000Z";
const linearFlow = demoFlows(now)[0]!;

const linearYaml = `
flow_id: linear_flow
routines:
  source: { class: DemoSource }
  validator: { class: DemoValidator }
  transformer: { class: DemoTransformer }
  sink: { class: DemoSink }
connections:
  - { from: source.output, to: validator.input }
  - { from: validator.valid, to: transformer.input }
  - { from: transformer.output, to: sink.input }
`;

/** The issues of the FlowInvalidError `run` throws. */
function issuesOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof FlowInvalidError) return error.issues;
    throw error;
  }
  throw new Error("expected a FlowInvalidError");
}

const parse = (input: unknown, options: Partial<Parameters<typeof parseFlowDsl>[1]> = {}) =>
  parseFlowDsl(input, { now, ...options });

describe("parseFlowDsl reads a document into a FlowDefinition", () => {
  test("YAML text: the demo linear_flow, with defaults for what it leaves out", () => {
    expect(parse(linearYaml)).toEqual(linearFlow);
  });

  test("JSON text and an already-parsed object give the same flow", () => {
    const object = { flow_id: "linear_flow", ...linearFlowDsl };
    expect(parse(JSON.stringify(object))).toEqual(linearFlow);
    expect(parse(object)).toEqual(linearFlow);
  });

  test("YAML flow style that is not JSON still reads as YAML", () => {
    expect(parse("{flow_id: f, routines: {a: {class: Start}}}").routines).toEqual({
      a: { class_name: "Start", config: {}, error_handler: null },
    });
  });

  test("every field: config, error handler (defaults filled in), param_mapping, execution", () => {
    const flow = parse(`
flow_id: orders
routines:
  start: { class: Start }
  fetch:
    class: HttpFetch
    config: { url: "https://example.com/{{id}}", headers: { x-key: k } }
    error_handler: { strategy: retry, max_retries: 5 }
connections:
  - from: start.output
    to: fetch.input
    param_mapping: { order_id: id }
execution: { strategy: concurrent, max_workers: 8, timeout: 30 }
`);
    expect(flow).toEqual({
      flow_id: "orders",
      routines: {
        start: { class_name: "Start", config: {}, error_handler: null },
        fetch: {
          class_name: "HttpFetch",
          config: { url: "https://example.com/{{id}}", headers: { "x-key": "k" } },
          error_handler: { strategy: "retry", max_retries: 5, retry_delay: 1, retry_backoff: 2 },
        },
      },
      connections: [
        {
          source_routine: "start",
          source_event: "output",
          target_routine: "fetch",
          target_slot: "input",
          param_mapping: { order_id: "id" },
        },
      ],
      execution_strategy: "concurrent",
      max_workers: 8,
      timeout: 30,
      created_at: now,
      updated_at: now,
    });
  });

  test("name and description are accepted at the top level and not stored", () => {
    const flow = parse({ flow_id: "f", name: "Orders", description: "What it does", routines: {} });
    expect(flow).not.toHaveProperty("name");
    expect(flow).not.toHaveProperty("description");
  });

  test("a document with no routines is an empty flow", () => {
    expect(parse({ flow_id: "empty" })).toMatchObject({ routines: {}, connections: [] });
  });

  test("the flow's config is its own copy", () => {
    const config = { mapping: { a: "b" } };
    const flow = parse({ flow_id: "f", routines: { m: { class: "Mapper", config } } });
    config.mapping.a = "changed";
    expect(flow.routines.m!.config).toEqual({ mapping: { a: "b" } });
  });
});

describe("flow_id", () => {
  test("options.flow_id wins over the document's", () => {
    expect(parse(linearYaml, { flow_id: "copy_of_linear" }).flow_id).toBe("copy_of_linear");
  });

  test("with neither, generateId names the flow; without generateId it is an error", () => {
    expect(parse({ routines: {} }, { generateId: () => "flow-123" }).flow_id).toBe("flow-123");
    expect(issuesOf(() => parse({ routines: {} }))).toEqual([
      "flow_id is missing: name the flow in the document or pass a flow_id",
    ]);
  });

  test("ids follow the contract's rule", () => {
    expect(issuesOf(() => parse({ flow_id: "has space" }))).toEqual([
      "flow_id must use letters, digits and _ . : - only, 1 to 128 characters",
    ]);
    expect(issuesOf(() => parse({}, { flow_id: "x/y" }))).toEqual(["flow_id 'x/y' is not a valid id"]);
  });
});

describe("routine ids and endpoints", () => {
  test("a routine id may contain dots: `from` splits on the last dot", () => {
    const flow = parse({
      flow_id: "f",
      routines: { "stage1.source": { class: "Start" }, "stage1.sink": { class: "Sink" } },
      connections: [{ from: "stage1.source.output", to: "stage1.sink.input" }],
    });
    expect(flow.connections[0]).toMatchObject({
      source_routine: "stage1.source",
      source_event: "output",
      target_routine: "stage1.sink",
      target_slot: "input",
    });
  });

  test("`from` and `to` must name a routine and an event or slot", () => {
    const doc = {
      flow_id: "f",
      routines: { a: { class: "Start" }, b: { class: "Sink" } },
      connections: [
        { from: "a.output", to: "b.input" },
        { from: "a", to: "b.input" },
        { from: "a.output", to: "b." },
        { to: "b.input" },
      ],
    };
    expect(issuesOf(() => parse(doc))).toEqual([
      `connection 1: 'from' must look like "<routine>.<event>" (event names have no ".")`,
      `connection 2: 'to' must look like "<routine>.<slot>" (slot names have no ".")`,
      "connection 3: 'from' is required",
    ]);
  });

  test("a routine id outside the id rule is refused", () => {
    expect(issuesOf(() => parse({ flow_id: "f", routines: { "my routine": { class: "Start" } } }))).toEqual([
      "routine id 'my routine' is invalid: routine ids must use letters, digits and _ . : - only, 1 to 128 characters",
    ]);
  });

  test("a connection to a routine the document does not have", () => {
    const doc = {
      flow_id: "f",
      routines: { a: { class: "Start" } },
      connections: [{ from: "a.output", to: "b.input" }],
    };
    expect(issuesOf(() => parse(doc))).toEqual(["connection 0: unknown target routine 'b'"]);
  });
});

describe("errors name the routine or connection at fault", () => {
  test("unknown fields say which are accepted", () => {
    const doc = {
      flow_id: "f",
      routine: {},
      routines: {
        x: { clas: "Start" },
        y: { class: "Start", error_handler: { strategy: "stop", retries: 2 } },
      },
      connections: [{ from: "x.output", to: "y.trigger", mapping: {} }],
      execution: { workers: 2 },
    };
    expect(issuesOf(() => parse(doc))).toEqual([
      "routine 'x': 'class' is required",
      "routine 'x': unknown field 'clas' (expected one of: class, config, error_handler)",
      "routine 'y': error_handler: unknown field 'retries' (expected one of: strategy, max_retries, retry_delay, retry_backoff)",
      "connection 0: unknown field 'mapping' (expected one of: from, to, param_mapping)",
      "execution: unknown field 'workers' (expected one of: strategy, max_workers, timeout)",
      "unknown field 'routine' (expected one of: flow_id, name, description, routines, connections, execution)",
    ]);
  });

  test("wrong types and values", () => {
    const doc = {
      flow_id: "f",
      routines: { x: { class: 7, config: [] }, y: { class: "Start", error_handler: { strategy: "ignore" } } },
      connections: {},
      execution: { strategy: "parallel", max_workers: 2.5, timeout: -1 },
    };
    const issues = issuesOf(() => parse(doc));
    expect(issues).toEqual([
      "routine 'x': 'class' must be a string",
      "routine 'x': config: expected record, received array",
      'routine \'y\': error_handler.strategy: Invalid option: expected one of "stop"|"continue"|"retry"|"skip"',
      "connections: expected array, received object",
      'execution.strategy: Invalid option: expected one of "sequential"|"concurrent"',
      "execution.max_workers: expected int, received number",
      "execution.timeout: Too small: expected number to be >0",
    ]);
  });

  test("a document that is not a mapping, or is empty", () => {
    expect(issuesOf(() => parse("- a\n- b\n"))).toEqual([
      "DSL document must be a mapping (an object), not a sequence (array)",
    ]);
    expect(issuesOf(() => parse(""))).toEqual(["DSL document is empty"]);
    expect(issuesOf(() => parse("just text"))).toEqual([
      "DSL document must be a mapping (an object), not a string",
    ]);
    expect(issuesOf(() => parse(42))).toEqual(["DSL document must be a mapping (an object), not a number"]);
  });

  test("YAML syntax errors say where", () => {
    expect(issuesOf(() => parse("flow_id: f\nroutines: [a\nconnections: []\n"))[0]).toMatch(
      /^YAML: .* at line \d+, column \d+$/,
    );
  });

  test("duplicate keys are an error in YAML", () => {
    expect(issuesOf(() => parse("flow_id: f\nroutines:\n  a: {class: Start}\n  a: {class: Sink}\n"))).toEqual(
      ["YAML: duplicate key 'a' at line 4"],
    );
  });
});

describe("parseAndValidateFlowDsl also checks the flow against a registry", () => {
  const registry = defaultRegistry();

  test("returns the flow and validateFlow's warnings", () => {
    const { flow, warnings } = parseAndValidateFlowDsl(linearYaml, registry, { now });
    expect(flow).toEqual(linearFlow);
    expect(warnings).toEqual(["routine 'validator': event 'invalid' has no listener"]);
  });

  test("unknown types, events, slots and bad config are errors naming the routine or connection", () => {
    const doc = `
flow_id: f
routines:
  start: { class: Start }
  x: { class: NoSuchRoutine }
  filter: { class: Filter, config: { condition: "a >" } }
  sink: { class: Sink }
connections:
  - { from: start.output, to: filter.input }
  - { from: filter.passed, to: sink.input }
  - { from: filter.out, to: sink.input }
  - { from: start.output, to: sink.trigger }
`;
    expect(issuesOf(() => parseAndValidateFlowDsl(doc, registry, { now }))).toEqual([
      "routine 'x': unknown type 'NoSuchRoutine'",
      expect.stringMatching(/^routine 'filter': invalid config at 'condition': .*character/),
      "connection 2: routine 'filter' has no event 'out'",
      "connection 3: routine 'sink' has no slot 'trigger'",
    ]);
  });

  test("`class` is only ever a registered name, never a module to import", () => {
    const doc = { flow_id: "f", routines: { x: { class: "node:child_process" } } };
    expect(issuesOf(() => parseAndValidateFlowDsl(doc, registry, { now }))).toEqual([
      "routine 'x': unknown type 'node:child_process'",
    ]);
  });
});

describe("duplicate keys are an error in JSON documents too, as in YAML", () => {
  test("a repeated key names itself and where it is", () => {
    const text = `{
  "flow_id": "f",
  "routines": {
    "a": { "class": "Start", "config": { "x": 1, "y": 2, "x": 3 } },
    "b": { "class": "Start" },
    "b": { "class": "Start" }
  },
  "connections": [{ "from": "a.output", "to": "b.trigger", "from": "b.output" }]
}`;
    expect(issuesOf(() => parse(text))).toEqual([
      `routine 'a': config: duplicate key "x" at line 4`,
      `routines: duplicate key "b" at line 6`,
      `connection 0: duplicate key "from" at line 8`,
    ]);
  });

  test("keys are compared as JSON reads them: an escaped spelling is the same key", () => {
    expect(issuesOf(() => parse(`{"flow_id": "f", "flow_\\u0069d": "g"}`))).toEqual([
      `duplicate key "flow_id" at line 1`,
    ]);
  });

  test("the same key in different objects, in arrays, and as a value is fine", () => {
    const text = JSON.stringify({
      flow_id: "f",
      routines: { a: { class: "Start", config: { a: [{ a: "a" }, {}, "a"] } }, b: { class: "Start" } },
      connections: [
        { from: "a.output", to: "b.trigger" },
        { from: "a.output", to: "b.trigger" },
      ],
    });
    expect(parse(text).routines.a?.config).toEqual({ a: [{ a: "a" }, {}, "a"] });
  });

  test("YAML says the same of its own duplicates", () => {
    expect(issuesOf(() => parse("flow_id: f\nflow_id: g\n"))).toEqual([
      "YAML: duplicate key 'flow_id' at line 2",
    ]);
  });
});
