import { describe, expect, test } from "vitest";
import { compile, EXPRESSION_LIMITS, snapshot } from "../../src/expr/index.js";
import { errorOf, failure, run } from "./helpers.js";

test("the limits are the spec's", () => {
  expect(EXPRESSION_LIMITS).toMatchObject({
    maxSourceBytes: 4096,
    maxDepth: 64,
    maxSteps: 10_000,
    maxProduced: 100_000,
    maxExponent: 1000,
  });
});

describe("input size", () => {
  test("4096 bytes are accepted, 4097 are not", () => {
    const fits = `'${"a".repeat(4094)}'`;
    expect(run(fits)).toHaveLength(4094);
    expect(errorOf(`${fits} `)).toBe("Expression is too long (more than 4096 bytes)");
  });

  test("bytes are counted in UTF-8", () => {
    const euros = `'${"€".repeat(1365)}'`; // 1365 * 3 + 2 = 4097 bytes in 1367 characters
    expect(errorOf(euros)).toBe("Expression is too long (more than 4096 bytes)");
    expect(run(`'${"€".repeat(1364)}'`)).toHaveLength(1364);
  });
});

describe("depth", () => {
  const chain = (terms: number) => Array.from({ length: terms }, () => "1").join(" + ");

  test("a tree 64 deep is accepted, 65 is not", () => {
    expect(run(chain(64))).toBe(64);
    // Found while parsing, at the operator that makes the tree too deep: a long chain is not read to its end.
    expect(errorOf(chain(65))).toBe("Expression nested too deeply (more than 64 levels) at character 257");
  });

  test("nesting brackets too deeply is a syntax error with a position", () => {
    expect(run(`${"(".repeat(20)}1${")".repeat(20)}`)).toBe(1);
    const error = failure(`${"(".repeat(100)}1${")".repeat(100)}`);
    expect(error.message).toMatch(/^Expression nested too deeply \(more than 64 levels\) at character \d+$/);
    expect(failure(`${"[".repeat(100)}${"]".repeat(100)}`).message).toMatch(/^Expression nested too deeply/);
    expect(failure(`${"-".repeat(100)}1`).message).toMatch(/^Expression nested too deeply/);
    expect(failure(`${"not ".repeat(100)}1`).message).toMatch(/^Expression nested too deeply/);
    expect(failure(`${"len(".repeat(100)}1${")".repeat(100)}`).message).toMatch(
      /^Expression nested too deeply/,
    );
  });

  test("long member chains and right-associative chains count too", () => {
    expect(errorOf(`a${".b".repeat(70)}`, { a: {} })).toBe(
      "Expression nested too deeply (more than 64 levels) at character 129",
    );
    expect(failure(Array.from({ length: 100 }, () => "1").join(" ** ")).message).toMatch(
      /^Expression nested too deeply/,
    );
    expect(failure(`${"t ? 1 : ".repeat(100)}2`).message).toMatch(/^Expression nested too deeply/);
  });
});

describe("steps", () => {
  // Arrays of a snapshot are read directly and cost one step per 100 items walked.
  const big = snapshot(Array.from({ length: 50_000 }, (_, i) => 50_000 - i)) as number[];

  test("walking and sorting large arrays is charged, and the budget stops it", () => {
    expect(run("len(sorted(xs))", { xs: big })).toBe(50_000);
    expect(errorOf("len(sorted(xs)) + len(sorted(xs))", { xs: big })).toBe("expression exceeded 10000 steps");
  });

  test("the budget is charged before the work, so a huge walk fails at once", () => {
    const huge = new Array<number>(2_000_000).fill(0);
    const started = performance.now();
    expect(errorOf("1 in xs", { xs: huge })).toBe("expression exceeded 10000 steps");
    expect(performance.now() - started).toBeLessThan(50);
  });

  test("walking an array that is not from a snapshot costs a step per item (each is read checked)", () => {
    const live = Array.from({ length: 9_000 }, (_, i) => i);
    expect(run("sum(xs)", { xs: live })).toBe((9_000 * 8_999) / 2);
    expect(errorOf("sum(xs) + sum(xs)", { xs: live })).toBe("expression exceeded 10000 steps");
    expect(run("sum(xs) + sum(xs)", { xs: snapshot(live) })).toBe(9_000 * 8_999);
  });

  test("each evaluation has its own budget", () => {
    const expression = compile("len(sorted(xs))");
    for (let i = 0; i < 3; i++) expect(expression.evaluate({ xs: big })).toBe(50_000);
  });
});

describe("produced strings and arrays", () => {
  const half = "a".repeat(60_000);
  const zeros = (length: number) => snapshot(new Array(length).fill(0));

  test.each([
    ["s + s", { s: half }, "string too long (more than 100000 characters)"],
    ["upper(s)", { s: "a".repeat(100_001) }, "string too long (more than 100000 characters)"],
    ["upper(s)", { s: "ß".repeat(50_001) }, "string too long (more than 100000 characters)"],
    ["str(xs)", { xs: zeros(60_000) }, "string too long (more than 100000 characters)"],
    ["str(o)", { o: { a: half, b: half } }, "string too long (more than 100000 characters)"],
    ["sorted(xs)", { xs: zeros(100_001) }, "array too large (more than 100000 items)"],
    [
      "keys(o)",
      { o: Object.fromEntries(Array.from({ length: 100_001 }, (_, i) => [`k${i}`, i])) },
      "array too large (more than 100000 items)",
    ],
  ])("%s", (source, context, message) => {
    expect(errorOf(source, context)).toBe(message);
  });

  test("exactly at the bound is fine", () => {
    expect(run("s + s", { s: "a".repeat(50_000) })).toHaveLength(100_000);
  });

  test("str() of a value nested too deeply, or of a cycle, is an error", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100; i++) deep = [deep];
    expect(errorOf("str(x)", { x: deep })).toBe(
      "value nested too deeply to convert to text (more than 64 levels)",
    );
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(errorOf("str(x)", { x: cycle })).toBe(
      "value nested too deeply to convert to text (more than 64 levels)",
    );
  });
});
