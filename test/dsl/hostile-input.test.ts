import { describe, expect, test } from "vitest";
import { FlowInvalidError } from "../../src/core/errors.js";
import { parseFlowDsl } from "../../src/dsl/index.js";

/**
 * A DSL document can come from anyone with an API key. Each of these must end quickly in a FlowInvalidError
 * that says what is wrong — never a hang, a crash, or a value that is not JSON data.
 */

const now = "2026-01-15T08:30:00.000Z";

function rejection(input: unknown): { issues: string[]; ms: number } {
  const started = performance.now();
  try {
    parseFlowDsl(input, { now, flow_id: "f" });
  } catch (error) {
    if (!(error instanceof FlowInvalidError)) throw error;
    return { issues: error.issues, ms: performance.now() - started };
  }
  throw new Error("expected the document to be refused");
}

describe("resource exhaustion", () => {
  test("a billion-laughs alias bomb", () => {
    const levels = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(", ")}]`);
    }
    const { issues, ms } = rejection(`routines: {}\nbomb:\n  ${levels.join("\n  ")}\n`);
    expect(issues).toEqual(["YAML: Excessive alias count indicates a resource exhaustion attack"]);
    expect(ms).toBeLessThan(1_000);
  });

  test("a 5 MB document is refused before parsing", () => {
    const huge = `flow_id: f\nroutines: {}\npadding: "${"x".repeat(5 * 1024 * 1024)}"\n`;
    const { issues, ms } = rejection(huge);
    expect(issues).toEqual([`DSL document is too large: ${huge.length} characters (at most 1048576)`]);
    expect(ms).toBeLessThan(100);
  });

  test("the size limit can be raised for trusted input (e.g. a CLI reading a file)", () => {
    const big = JSON.stringify({
      flow_id: "f",
      routines: { a: { class: "Sink", config: { pad: "x".repeat(2e6) } } },
    });
    expect(() => parseFlowDsl(big, { now, limits: { maxLength: 4e6 } })).not.toThrow();
  });

  test("deeply nested flow collections, in YAML and in JSON text", () => {
    const depth = 200_000;
    for (const text of [
      `routines: ${"[".repeat(depth)}${"]".repeat(depth)}`,
      `{"routines": ${"[".repeat(depth)}${"]".repeat(depth)}}`,
    ]) {
      const { issues, ms } = rejection(text);
      expect(issues).toEqual(["DSL document is nested too deeply (at most 64 levels)"]);
      expect(ms).toBeLessThan(1_000);
    }
  });

  test("deep nesting in block style, and in an object handed in directly", () => {
    const block = Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}a:`).join("\n");
    expect(rejection(`routines: {}\n${block} 1\n`).issues).toEqual([
      "DSL document is nested too deeply (at most 64 levels)",
    ]);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    expect(rejection({ routines: {}, deep }).issues).toEqual([
      "DSL document is nested too deeply (at most 64 levels)",
    ]);
  });

  test("a cyclic or hugely shared object from code ends at a bound", () => {
    const cyclic: Record<string, unknown> = { class: "Sink" };
    cyclic.config = { self: cyclic };
    expect(rejection({ routines: { a: cyclic } }).issues).toEqual([
      "DSL document is nested too deeply (at most 64 levels)",
    ]);
    let shared: unknown = [1];
    for (let i = 0; i < 40; i++) shared = [shared, shared];
    const { issues, ms } = rejection({ routines: { a: { class: "Sink", config: { shared } } } });
    expect(issues).toEqual(["DSL document has more than 1000000 values"]);
    expect(ms).toBeLessThan(5_000);
  });

  test("a mapping with 20 000 keys parses within seconds (duplicate keys are found in linear time)", () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: 1`).join(", ");
    const started = performance.now();
    parseFlowDsl(`routines: {a: {class: Sink, config: {${keys}}}}`, { now, flow_id: "f" });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});

describe("nothing but JSON data gets through", () => {
  test("custom and YAML 1.1 tags are refused, not resolved", () => {
    expect(rejection("routines: {}\nx: !!js/function 'return 1'\n").issues).toEqual([
      "YAML: Unresolved tag: tag:yaml.org,2002:js/function at line 2, column 4",
    ]);
    expect(rejection("routines: {}\nx: !!binary aGVsbG8=\n").issues[0]).toMatch(/^YAML: Unresolved tag/);
    expect(rejection("routines: {}\nx: !custom 1\n").issues[0]).toMatch(/^YAML: Unresolved tag/);
  });

  test("YAML 1.1 readings do not apply: timestamps, yes/no and octals stay what 1.2 says", () => {
    const flow = parseFlowDsl(
      "%YAML 1.1\n---\nflow_id: f\nroutines:\n  a:\n    class: Sink\n    config: { when: 2001-12-14, ok: yes, mode: 0755 }\n",
      { now },
    );
    expect(flow.routines.a!.config).toEqual({ when: "2001-12-14", ok: "yes", mode: 755 });
  });

  test("merge keys are not expanded", () => {
    expect(rejection("base: &b {class: Sink}\nroutines:\n  a:\n    <<: *b\n").issues).toEqual([
      "routine 'a': 'class' is required",
      "routine 'a': unknown field '<<' (expected one of: class, config, error_handler)",
      "unknown field 'base' (expected one of: flow_id, name, description, routines, connections, execution)",
    ]);
  });

  test("non-finite numbers are refused", () => {
    expect(rejection("routines:\n  a: {class: Sink, config: {x: .nan, y: -.inf}}\n").issues).toEqual([
      "routine 'a': config.x: NaN is not a JSON number",
      "routine 'a': config.y: -Infinity is not a JSON number",
    ]);
  });

  test("`__proto__` keys are refused anywhere, in text and in objects", () => {
    expect(
      rejection('{"routines": {"a": {"class": "Sink", "config": {"__proto__": {"polluted": true}}}}}').issues,
    ).toEqual(["routine 'a': config: the key '__proto__' is not allowed"]);
    expect(rejection("routines:\n  __proto__: {class: Sink}\n").issues).toEqual([
      "routines: the key '__proto__' is not allowed",
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test("objects from code: functions, dates, maps and undefined array items are not data", () => {
    const issues = rejection({
      routines: {
        a: { class: "Sink", config: { f: () => 1, d: new Date(0), m: new Map(), list: [undefined] } },
      },
    }).issues;
    expect(issues).toEqual([
      "routine 'a': config.f: a function is not JSON data",
      "routine 'a': config.d: a Date object is not JSON data",
      "routine 'a': config.m: a Map object is not JSON data",
      "routine 'a': config.list.0: undefined is not JSON data",
    ]);
  });

  test("more than one YAML document in the text", () => {
    expect(rejection("flow_id: a\n---\nflow_id: b\n").issues[0]).toMatch(
      /^YAML: Source contains multiple documents/,
    );
  });
});
