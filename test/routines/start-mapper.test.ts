import { describe, expect, test } from "vitest";
import { FlowInvalidError } from "../../src/core/errors.js";
import type { FlowDefinition } from "../../src/core/flow.js";
import { flowFrom, runDefinition, runFlow } from "./support/run-flow.js";

const mapperFlow = (config: Record<string, unknown>) => ({
  routines: { start: { class: "Start" }, mapper: { class: "Mapper", config }, sink: { class: "Sink" } },
  connections: [
    { from: "start.output", to: "mapper.input" },
    { from: "mapper.output", to: "sink.input" },
  ],
});

describe("Start", () => {
  test("passes the entry params on unchanged", async () => {
    const run = await runFlow(
      {
        routines: { start: { class: "Start" }, sink: { class: "Sink" } },
        connections: [{ from: "start.output", to: "sink.input" }],
      },
      { order: 7, tags: ["a"] },
    );
    expect(run.record.status).toBe("completed");
    expect(run.results).toEqual([{ order: 7, tags: ["a"] }]);
  });
});

describe("Mapper", () => {
  const user = { id: 1, name: "Ada", address: { city: "London" }, tags: ["x", "y"] };

  test("picks and renames fields, copying out of nested objects by path", async () => {
    const run = await runFlow(
      mapperFlow({ mapping: { user_id: "id", city: "address.city", first_tag: "tags.0" } }),
      user,
    );
    expect(run.results).toEqual([{ user_id: 1, city: "London", first_tag: "x" }]);
  });

  test("keep_unmapped passes the other fields through; a renamed key does not stay", async () => {
    const run = await runFlow(
      mapperFlow({ mapping: { user_id: "id", city: "address.city" }, keep_unmapped: true }),
      user,
    );
    expect(run.results).toEqual([
      { name: "Ada", address: { city: "London" }, tags: ["x", "y"], user_id: 1, city: "London" },
    ]);
  });

  test("set writes constants, and each payload gets its own copy of them", async () => {
    const run = await runFlow(
      {
        routines: {
          start: { class: "Feed" },
          mapper: {
            class: "Mapper",
            config: { mapping: { name: "name" }, set: { source: "crm", meta: { v: 1 } } },
          },
          sink: { class: "Sink" },
        },
        connections: [
          { from: "start.output", to: "mapper.input" },
          { from: "mapper.output", to: "sink.input" },
        ],
      },
      { items: [{ name: "a" }, { name: "b" }] },
    );
    expect(run.results).toEqual([
      { name: "a", source: "crm", meta: { v: 1 } },
      { name: "b", source: "crm", meta: { v: 1 } },
    ]);
    const [first, second] = run.results as { meta: object }[];
    expect(first!.meta).not.toBe(second!.meta);
  });

  test("a missing source leaves its output key out", async () => {
    const run = await runFlow(mapperFlow({ mapping: { zip: "address.zip", name: "name" } }), user);
    expect(run.results).toEqual([{ name: "Ada" }]);
  });

  test("from code, the mapping can be a function", async () => {
    const flow: FlowDefinition = flowFrom(mapperFlow({}));
    flow.routines.mapper!.config = {
      mapping: (p: Record<string, unknown>) => ({ shout: String(p.name).toUpperCase() }),
    };
    const run = await runDefinition(flow, user);
    expect(run.results).toEqual([{ shout: "ADA" }]);
  });

  test("a mapping source that is not a field path makes the flow invalid", () => {
    expect(() => flowFrom(mapperFlow({ mapping: { x: "a b" } }))).toThrow(FlowInvalidError);
    expect(() => flowFrom(mapperFlow({ mapping: { x: "a b" } }))).toThrow(
      "routine 'mapper': invalid config at 'mapping.x': must be a field name",
    );
  });
});
