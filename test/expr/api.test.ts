import { describe, expect, test } from "vitest";
import {
  compile,
  ExpressionError,
  evaluate,
  snapshot,
  truthy,
  tryEvaluate,
  typeOfResult,
} from "../../src/expr/index.js";

describe("compile and evaluate", () => {
  test("a compiled expression keeps its source and evaluates in any context", () => {
    const condition = compile("index >= 2");
    expect(condition.source).toBe("index >= 2");
    expect(condition.evaluate({ index: 1 })).toBe(false);
    expect(condition.evaluate({ index: 2 })).toBe(true);
    expect(Object.isFrozen(condition)).toBe(true);
  });

  test("compile refuses bad syntax and disallowed calls before any context exists", () => {
    expect(() => compile("index >=")).toThrow(ExpressionError);
    expect(() => compile("eval('1')")).toThrow("function 'eval' is not allowed");
    expect(() => compile("a.constructor")).toThrow("access to 'constructor' is not allowed");
    expect(() => compile(42 as unknown as string)).toThrow("expression must be a string");
  });

  test("evaluate compiles by source text and reuses the compiled form", () => {
    expect(evaluate("a + 1", { a: 1 })).toBe(2);
    expect(evaluate("a + 1", { a: 2 })).toBe(3);
    for (let i = 0; i < 300; i++) expect(evaluate(`${i} + a`, { a: 1 })).toBe(i + 1);
    expect(() => evaluate("a +", {})).toThrow("Expected expression after '+' at character 3");
  });
});

describe("tryEvaluate: the evaluate endpoint's reply", () => {
  test.each([
    ["index * 10", { result: 20, type: "number", error: null }],
    ["status", { result: "ok", type: "string", error: null }],
    ["index > 1", { result: true, type: "boolean", error: null }],
    ["nothing", { result: null, type: "null", error: null }],
    ["[index]", { result: [2], type: "array", error: null }],
    ["payload", { result: { a: 1 }, type: "object", error: null }],
    ["foo", { result: null, type: null, error: "unknown name 'foo'" }],
    ["(a + b))", { result: null, type: null, error: "Unexpected token ')' at character 7" }],
  ])("%s", (source, reply) => {
    expect(tryEvaluate(source, { index: 2, status: "ok", nothing: null, payload: { a: 1 } })).toEqual(reply);
  });

  test("the result shares nothing with the context", () => {
    const payload = { list: [1, 2] };
    const reply = tryEvaluate("payload", { payload });
    expect(reply.result).toEqual(payload);
    expect(reply.result).not.toBe(payload);
    expect((reply.result as typeof payload).list).not.toBe(payload.list);
  });

  test("a live value inside the result comes back as JSON", () => {
    const reply = tryEvaluate("payload", { payload: { when: new Date(0), fn: () => 1, n: 1 } });
    expect(reply).toEqual({
      result: { when: "1970-01-01T00:00:00.000Z", n: 1 },
      type: "object",
      error: null,
    });
  });
});

describe("typeOfResult", () => {
  test.each([
    [1, "number"],
    ["s", "string"],
    [false, "boolean"],
    [null, "null"],
    [[], "array"],
    [{}, "object"],
    [undefined, "null"],
    [Number.NaN, "null"],
  ] as const)("%j is %s", (value, type) => {
    expect(typeOfResult(value)).toBe(type);
  });
});

describe("truthy is Python's truthiness", () => {
  test.each([
    [0, false],
    [-0, false],
    [1, true],
    [-1, true],
    ["", false],
    [" ", true],
    ["0", true],
    ["false", true],
    [[], false],
    [[0], true],
    [{}, false],
    [{ a: null }, true],
    [null, false],
    [undefined, false],
    [true, true],
    [false, false],
  ])("%j → %s", (value, expected) => {
    expect(truthy(value)).toBe(expected);
  });

  test("an object with only inherited keys is empty", () => {
    expect(truthy(Object.create({ inherited: 1 }))).toBe(false);
  });
});

describe("snapshot makes a JSON-safe copy for a context", () => {
  test("plain data is copied, not shared", () => {
    const original = { a: [1, { b: "x" }], n: null, t: true };
    const copy = snapshot(original) as typeof original;
    expect(copy).toEqual(original);
    expect(copy).not.toBe(original);
    expect(copy.a).not.toBe(original.a);
  });

  test("functions, symbols and undefined are dropped from objects and null in arrays", () => {
    expect(snapshot({ f: () => 1, s: Symbol("s"), u: undefined, k: 1 })).toEqual({ k: 1 });
    expect(snapshot([() => 1, undefined, 2])).toEqual([null, null, 2]);
  });

  test("non-finite numbers become null, bigints text, dates ISO text", () => {
    expect(snapshot([Number.NaN, Number.POSITIVE_INFINITY, 10n, new Date(0), new Date(Number.NaN)])).toEqual([
      null,
      null,
      "10",
      "1970-01-01T00:00:00.000Z",
      null,
    ]);
  });

  test("getters are not run; accessors are left out", () => {
    let runs = 0;
    const live = {
      plain: 1,
      get computed() {
        runs++;
        return 2;
      },
    };
    expect(snapshot(live)).toEqual({ plain: 1 });
    expect(runs).toBe(0);
  });

  test("class instances keep their own enumerable data", () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    const copy = snapshot({ p: new Point(3, 4) }) as { p: unknown };
    expect(copy).toEqual({ p: { x: 3, y: 4 } });
    expect(Object.getPrototypeOf(copy.p)).toBe(Object.prototype);
  });

  test("cycles and too-deep parts become null", () => {
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = cycle;
    expect(snapshot(cycle)).toEqual({ a: 1, self: null });
    expect(snapshot({ a: { b: { c: 1 } } }, 2)).toEqual({ a: { b: null } });
    const shared = { v: 1 };
    expect(snapshot({ x: shared, y: shared })).toEqual({ x: { v: 1 }, y: { v: 1 } }); // shared, not a cycle
  });

  test("an own '__proto__' key stays a plain key and sets no prototype", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    const copy = snapshot(parsed) as Record<string, unknown>;
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, "__proto__")).toBe(true);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    expect(evaluate("a", copy)).toBe(1);
    expect(() => evaluate("x['__proto__']", { x: copy })).toThrow("access to '__proto__' is not allowed");
  });

  test("a snapshot is a valid context for evaluate", () => {
    const context = snapshot({ payload: { score: 0.7, at: new Date(0) }, index: 2 }) as Record<
      string,
      unknown
    >;
    expect(evaluate("payload.score > 0.5 and index == 2 and startswith(payload.at, '1970')", context)).toBe(
      true,
    );
  });
});
