import { describe, expect, test } from "vitest";
import { compileFlow } from "../../src/core/compiled-flow.js";
import { FlowInvalidError } from "../../src/core/errors.js";
import { validateFlow } from "../../src/core/flow.js";
import { demoFlow, type FlowSketch, registryWith, sketchFlow } from "../support/engine.js";

const registry = registryWith();
const validate = (sketch: FlowSketch) => validateFlow(sketchFlow(sketch), registry);

describe("validateFlow: errors make a flow invalid", () => {
  test("an unknown routine type", () => {
    const result = validate({ routines: { source: "DemoSource", ghost: "NoSuchType" } });

    expect(result.valid).toBe(false);
    expect(result.errors).toEqual(["routine 'ghost': unknown type 'NoSuchType'"]);
  });

  test("an unknown event or slot on a connection", () => {
    const result = validate({
      routines: { source: "DemoSource", sink: "DemoSink" },
      connections: ["source.nothing -> sink.input", "source.output -> sink.nowhere"],
    });

    expect(result.valid).toBe(false);
    expect(result.errors).toEqual([
      "connection 0: routine 'source' has no event 'nothing'",
      "connection 1: routine 'sink' has no slot 'nowhere'",
    ]);
  });

  test("a connection naming a routine the flow does not have", () => {
    const result = validate({
      routines: { source: "DemoSource" },
      connections: ["ghost.output -> source.trigger", "source.output -> phantom.input"],
    });

    expect(result.errors).toEqual([
      "connection 0: unknown source routine 'ghost'",
      "connection 1: unknown target routine 'phantom'",
    ]);
  });

  test("a config its routine type rejects, naming the field", () => {
    const result = validate({
      routines: { source: "DemoSource", times: { type: "DemoMultiplier", config: { times: "many" } } },
      connections: ["source.output -> times.input"],
    });

    expect(result.valid).toBe(false);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^routine 'times': invalid config at 'times'/);
  });

  test("an invalid flow cannot be compiled into a job", () => {
    const flow = sketchFlow({ routines: { ghost: "NoSuchType" } });
    expect(() => compileFlow(flow, registry)).toThrow(FlowInvalidError);
  });
});

describe("validateFlow: warnings never make a flow invalid", () => {
  test("an event with no listener", () => {
    const result = validateFlow(demoFlow("linear_flow"), registry);

    expect(result).toEqual({
      valid: true,
      errors: [],
      warnings: ["routine 'validator': event 'invalid' has no listener"],
    });
  });

  test("an unreachable routine (no incoming connection and no trigger)", () => {
    const result = validate({ routines: { source: "DemoSource", island: "DemoSink" } });

    expect(result.valid).toBe(true);
    expect(result.warnings).toContain(
      "routine 'island': unreachable (no incoming connection and no 'trigger' slot)",
    );
    expect(result.warnings).toContain("routine 'island': slot 'input' is not connected");
  });

  test("a cycle", () => {
    const result = validate({
      routines: { source: "DemoSource", ping: "Relay", pong: "Relay" },
      connections: ["source.output -> ping.input", "ping.output -> pong.input", "pong.output -> ping.input"],
    });

    expect(result.valid).toBe(true);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toContain("cycle: ping -> pong -> ping");
  });

  test("the four demo flows are valid", () => {
    for (const id of ["linear_flow", "branching_flow", "complex_flow", "error_flow"] as const) {
      expect(validateFlow(demoFlow(id), registry).valid, id).toBe(true);
    }
  });
});
