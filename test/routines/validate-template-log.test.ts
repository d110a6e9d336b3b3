import { describe, expect, test } from "vitest";
import { flowFrom, runFlow } from "./support/run-flow.js";

const through = (routine: unknown, events: [string, string][] = [["output", "results"]]) => ({
  routines: {
    start: { class: "Feed" },
    step: routine,
    ...Object.fromEntries(events.map(([, key]) => [key, { class: "Sink", config: { key } }])),
  },
  connections: [
    { from: "start.output", to: "step.input" },
    ...events.map(([event, key]) => ({ from: `step.${event}`, to: `${key}.input` })),
  ],
});

describe("DataValidator", () => {
  const validator = {
    class: "DataValidator",
    config: {
      required: ["name", "age"],
      properties: {
        name: { type: "string", minLength: 1, maxLength: 10 },
        age: { type: "integer", minimum: 0, maximum: 150 },
        role: { enum: ["admin", "user"] },
        score: { type: ["number", "null"] },
      },
      additionalProperties: false,
    },
  };
  const flow = through(validator, [
    ["valid", "valid"],
    ["invalid", "invalid"],
  ]);

  test("a payload that fits leaves as `valid`, unchanged", async () => {
    const ok = { name: "Ada", age: 36, role: "admin", score: 9.5 };
    const run = await runFlow(flow, { items: [ok, { name: "Bob", age: 3, score: null }] });
    expect(run.job.shared.valid).toEqual([ok, { name: "Bob", age: 3, score: null }]);
    expect(run.job.shared.invalid).toBeUndefined();
  });

  test("one that does not leaves as `invalid` with every error", async () => {
    const bad = { name: "", age: 2.5, role: "root", extra: 1 };
    const run = await runFlow(flow, { items: [bad, { age: -1 }] });
    expect(run.job.shared.invalid).toEqual([
      {
        payload: bad,
        errors: [
          "'name' must be at least 1 characters long",
          "'age' must be integer (got number)",
          `'role' must be one of ["admin","user"]`,
          "'extra' is not an allowed field",
        ],
      },
      { payload: { age: -1 }, errors: ["'name' is required", "'age' must be >= 0"] },
    ]);
  });

  test("enum compares JSON values deeply, whatever the key order", async () => {
    const run = await runFlow(
      through({ class: "DataValidator", config: { properties: { at: { enum: [{ x: 1, y: 2 }] } } } }, [
        ["valid", "valid"],
        ["invalid", "invalid"],
      ]),
      { items: [{ at: { y: 2, x: 1 } }, { at: { x: 1 } }] },
    );
    expect(run.job.shared.valid).toEqual([{ at: { y: 2, x: 1 } }]);
    expect(run.job.shared.invalid).toEqual([
      { payload: { at: { x: 1 } }, errors: [`'at' must be one of [{"x":1,"y":2}]`] },
    ]);
  });

  test("an unknown type or keyword makes the flow invalid", () => {
    expect(() =>
      flowFrom(through({ class: "DataValidator", config: { properties: { a: { type: "text" } } } })),
    ).toThrow(/routine 'step': invalid config at 'properties.a.type'/);
    expect(() =>
      flowFrom(through({ class: "DataValidator", config: { properties: { a: { pattern: "x+" } } } })),
    ).toThrow(/routine 'step': invalid config at 'properties.a'/);
  });
});

describe("TextTemplate", () => {
  test("fills placeholders from fields and dotted paths", async () => {
    const run = await runFlow(
      through({
        class: "TextTemplate",
        config: { template: "Hello {{ name }}, {{inbox.count}} new in {{ tags.0 }}" },
      }),
      { items: [{ name: "Ada", inbox: { count: 3 }, tags: ["work"] }] },
    );
    expect(run.results).toEqual([{ text: "Hello Ada, 3 new in work" }]);
  });

  test("missing fields render empty by default, or fail the delivery with missing: error", async () => {
    const empty = await runFlow(through({ class: "TextTemplate", config: { template: "[{{nope}}]" } }), {
      items: [{}],
    });
    expect(empty.results).toEqual([{ text: "[]" }]);
    const strict = await runFlow(
      through({ class: "TextTemplate", config: { template: "[{{nope}}]", missing: "error" } }),
      { items: [{}] },
    );
    expect(strict.record.error).toBe("Routine 'step' failed: template field 'nope' is missing");
  });

  test("output_key and keep_fields shape the output; objects render as JSON", async () => {
    const run = await runFlow(
      through({
        class: "TextTemplate",
        config: { template: "{{payload}}", output_key: "line", keep_fields: true },
      }),
      { items: [{ a: 1 }] },
    );
    expect(run.results).toEqual([{ a: 1, line: '{"a":1}' }]);
  });

  test("a placeholder that is not a field path is refused: templates run no code", () => {
    expect(() => flowFrom(through({ class: "TextTemplate", config: { template: "{{ a + b }}" } }))).toThrow(
      "routine 'step': invalid config at 'template': placeholder '{{ a + b }}' must hold a field name",
    );
  });
});

describe("Sink", () => {
  test("collects under a chosen key of the job's shared data", async () => {
    const run = await runFlow(
      {
        routines: { start: { class: "Feed" }, sink: { class: "Sink", config: { key: "orders" } } },
        connections: [{ from: "start.output", to: "sink.input" }],
      },
      { items: [{ id: 1 }, { id: 2 }] },
    );
    expect(run.job.shared).toEqual({ orders: [{ id: 1 }, { id: 2 }] });
  });
});

describe("Logger", () => {
  test("writes a log event with the rendered message, level and payload, and passes the payload on", async () => {
    const run = await runFlow(
      through({ class: "Logger", config: { message: "order {{id}} received", level: "warn" } }),
      { items: [{ id: 7 }] },
    );
    expect(run.logs()).toEqual([
      { level: "warn", payload: { id: 7 }, routine_id: "step", message: "order 7 received" },
    ]);
    expect(run.results).toEqual([{ id: 7 }]);
  });

  test("defaults: message 'received', level info; include_payload false leaves the payload out", async () => {
    const run = await runFlow(through({ class: "Logger", config: { include_payload: false } }), {
      items: [{ id: 7 }],
    });
    expect(run.logs()).toEqual([{ level: "info", routine_id: "step", message: "received" }]);
  });
});
