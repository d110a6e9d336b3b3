import { describe, expect, test } from "vitest";
import { Bindings, compile, ExpressionError } from "../../src/expr/index.js";

describe("Bindings", () => {
  test("an overlay's names win over the context's; the rest come from the context", () => {
    const payload = { index: 2, payload: "shadowed" };
    const names = new Bindings(payload, { payload });
    expect(compile("index * 10").evaluateIn(names)).toBe(20);
    expect(compile("payload.payload").evaluateIn(names)).toBe("shadowed");
  });

  test("a name is read once per Bindings, until reset", () => {
    let reads = 0;
    const context = new Proxy(
      { index: 1 },
      {
        getOwnPropertyDescriptor(target, key) {
          reads++;
          return Reflect.getOwnPropertyDescriptor(target, key);
        },
      },
    );
    const names = new Bindings(context);
    for (const source of ["index > 0", "index < 5", "index == 1"])
      expect(compile(source).evaluateIn(names)).toBe(true);
    expect(reads).toBe(1);
    names.reset({ index: 7 });
    expect(compile("index").evaluateIn(names)).toBe(7);
  });

  test("three or more names are remembered too", () => {
    const names = new Bindings({ a: 1, b: 2, c: 3, d: 4 });
    expect(compile("a + b + c + d").evaluateIn(names)).toBe(10);
    expect(compile("d - c - b - a").evaluateIn(names)).toBe(-2);
  });

  test("unknown names and accessors are errors, every time", () => {
    const withGetter = Object.defineProperty({}, "secret", { get: () => 42, enumerable: true });
    const names = new Bindings(withGetter);
    for (let i = 0; i < 2; i++) {
      expect(() => compile("secret").evaluateIn(names)).toThrow(/accessor/);
      expect(() => compile("missing").evaluateIn(names)).toThrow(/unknown name 'missing'/);
    }
  });

  test("a context or overlay that is not an object is refused", () => {
    expect(() => new Bindings([] as unknown as object)).toThrow(ExpressionError);
    expect(() => new Bindings({}, "x" as unknown as object)).toThrow(ExpressionError);
  });

  test("an expression re-entered while it runs keeps both runs apart", () => {
    const expression = compile("len(values(outer)) + inner");
    let depth = 0;
    const outer = new Proxy(
      { a: 1 },
      {
        ownKeys(target) {
          // Host code running inside an evaluation (only a Proxy can) evaluates the same expression again.
          if (depth++ === 0) expect(expression.evaluate({ outer: {}, inner: 100 })).toBe(100);
          return Reflect.ownKeys(target);
        },
      },
    );
    expect(expression.evaluate({ outer, inner: 1 })).toBe(2);
    expect(depth).toBe(1);
    expect(expression.evaluate({ outer: { a: 1, b: 2 }, inner: 0 })).toBe(2);
  });
});
