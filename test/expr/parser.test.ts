import jsep from "jsep";
import { describe, expect, test } from "vitest";
import { compile, ExpressionError } from "../../src/expr/index.js";
import { parse } from "../../src/expr/parser.js";
import { errorOf, failure, run } from "./helpers.js";

describe("syntax errors name the position", () => {
  test.each([
    ["(a + b))", "Unexpected token ')' at character 7"],
    ["", "Empty expression at character 0"],
    ["   ", "Empty expression at character 3"],
    ["a +", "Expected expression after '+' at character 3"],
    ["status ==", "Expected expression after '==' at character 9"],
    ["a ==  )", "Unexpected token ')' at character 6"],
    ["(a", "Unclosed '(' at character 0"],
    ["[1, 2", "Unclosed '[' at character 0"],
    ["len(a", "Unclosed '(' at character 3"],
    ["a[1", "Unclosed '[' at character 1"],
    ["'abc", "Unclosed string at character 0"],
    ["a b", "Unexpected token 'b' at character 2"],
    ["a not b", "Unexpected token 'not' at character 2"],
    ["a ? b", "Expected ':' at character 5"],
    ["a ? b c", "Unexpected token 'c' at character 6"],
    ["a ?", "Expected expression after '?' at character 3"],
    ["not", "Expected expression after 'not' at character 3"],
    ["and b", "Unexpected token 'and' at character 0"],
    ["a in", "Unexpected token 'in' at character 2"],
    ["()", "Unexpected token ')' at character 1"],
    ["[1,,2]", "Unexpected token ',' at character 3"],
    ["[1,]", "Unexpected token ']' at character 3"],
    ["f(1,)", "Unexpected token ')' at character 4"],
    ["a.", "Unexpected end of expression at character 2"],
    ["a.5", "Unexpected token '5' at character 2"],
    ["1a", "Invalid number '1a' at character 1"],
    ["1e", "Invalid number '1e' at character 2"],
    ["1e999", "Number out of range at character 0"],
    [".", "Unexpected token '.' at character 1"],
    ["'\\q'", "Invalid escape sequence '\\q' at character 1"],
    ["'\\x4'", "Invalid escape sequence at character 1"],
    ["'\\u{110000}'", "Invalid escape sequence at character 1"],
    ["a ~ b", "Unexpected token '~' at character 2"],
    ["a | b", "Unexpected token '|' at character 2"],
    ["a & b", "Unexpected token '&' at character 2"],
    ["a << b", "Unexpected token '<' at character 3"],
    ["{a: 1}", "Unexpected token '{' at character 0"],
    ["$x", "Unexpected token '$' at character 0"],
    ["a?.(1)", "Optional calls are not supported at character 3"],
  ])("%j", (source, message) => {
    const error = failure(source);
    expect(error.message).toBe(message);
    expect(error.position).toBe(Number(/at character (\d+)$/.exec(message)![1]));
  });
});

describe("literals", () => {
  test.each([
    ["42", 42],
    ["3.25", 3.25],
    [".5", 0.5],
    ["1e3", 1000],
    ["2.5E-1", 0.25],
    ["'single'", "single"],
    ['"double"', "double"],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'a\\nb\\tc\\\\'", "a\nb\tc\\"],
    ["'\\x41\\u0042\\u{1F600}'", "AB😀"],
    ["'\\0\\b\\f\\v\\r\\/'", "\0\b\f\v\r/"],
    ["true", true],
    ["false", false],
    ["null", null],
    ["[]", []],
    ["[1, 'two', null, [true]]", [1, "two", null, [true]]],
  ])("%s", (source, value) => {
    expect(run(source)).toEqual(value);
  });

  test("whitespace of any kind between tokens", () => {
    expect(run("\t1\n+\r\n2 ")).toBe(3);
  });
});

describe("precedence", () => {
  const context = { a: 1, b: 2, c: 3, t: true, f: false, missing: null, score: 0.2, xs: [1, 2] };
  test.each([
    ["1 + 2 * 3", 7],
    ["(1 + 2) * 3", 9],
    ["2 * 3 ** 2", 18],
    ["2 ** 3 ** 2", 512], // right-associative
    ["-2 ** 2", -4], // a sign binds looser than ** (mathematics, Python)
    ["(-2) ** 2", 4],
    ["2 ** -1", 0.5],
    ["10 - 4 - 3", 3], // left-associative
    ["100 / 10 / 5", 2],
    ["1 + 2 < 4", true],
    ["1 < 2 == true", true], // relational binds tighter than equality
    ["t or f and f", true], // and binds tighter than or
    ["t || f && f", true],
    ["not f and f", false], // not binds tighter than and
    ["not a == b", true], // ... and looser than comparisons: not (a == b)
    ["not 5 in xs", true],
    ["!a == b", false], // ! binds tightly, as in JavaScript: (!a) == b
    ["missing ?? 0 >= 0.5", false], // ?? binds tighter than comparisons
    ["score ?? 0 >= 0.5", false],
    ["missing ?? 1 + 1", 2], // ... and looser than arithmetic
    ["t ? 1 : 2 + 10", 1],
    ["f ? 1 : t ? 2 : 3", 2], // right-associative
    ["t ? f ? 1 : 2 : 3", 2],
    ["a == 1 ? 'one' : 'other'", "one"],
    ["f or missing ?? 'x'", "x"],
  ])("%s", (source, value) => {
    expect(run(source, context)).toEqual(value);
  });

  test("the spec's example payload?.score ?? 0 >= 0.5 means (payload?.score ?? 0) >= 0.5", () => {
    const condition = compile("payload?.score ?? 0 >= 0.5");
    expect(condition.evaluate({ payload: { score: 0.7 } })).toBe(true);
    expect(condition.evaluate({ payload: { score: 0.2 } })).toBe(false);
    expect(condition.evaluate({ payload: {} })).toBe(false);
    expect(condition.evaluate({ payload: null })).toBe(false);
  });
});

describe("word operators", () => {
  const context = { xs: [1, 2], s: "abc", n: null, nothing: 1, island: 2, note: 3 };
  test("`not in` and `is not` allow any whitespace between the words", () => {
    expect(run("3 not\t\n in xs", context)).toBe(true);
    expect(run("n is   not null", context)).toBe(false);
  });
  test("words are only operators as whole words", () => {
    expect(run("nothing + island + note", context)).toBe(6);
    expect(run("nothing is not null", context)).toBe(true);
    expect(run("note in [3]", context)).toBe(true);
  });
  test("a word operator can touch a parenthesis", () => {
    expect(run("not(1 in xs)", context)).toBe(false);
    expect(run("(1)in(xs)", context)).toBe(true);
    expect(run("n is not(null)", context)).toBe(false);
  });
  test("member names may be words of the language", () => {
    expect(
      run("o.not + o.in + o.is + o.and + o.or + o.this + o.new", {
        o: { not: 1, in: 2, is: 3, and: 4, or: 5, this: 6, new: 7 },
      }),
    ).toBe(28);
  });
  test("reserved words cannot be names", () => {
    expect(errorOf("new + 1")).toBe("'new' is not supported at character 0");
    expect(errorOf("typeof x")).toBe("'typeof' is not supported at character 0");
    expect(errorOf("1 + this")).toBe("'this' is not supported at character 4");
  });
});

describe("jsep is configured for us alone", () => {
  test("our parse leaves jsep's global configuration as it found it", () => {
    const binary = jsep.binary_ops;
    const unary = jsep.unary_ops;
    const before = JSON.stringify({ b: jsep.binary_ops, u: jsep.unary_ops, l: jsep.literals });
    parse("a and not b in c ?? d");
    expect(jsep.binary_ops).toBe(binary);
    expect(jsep.unary_ops).toBe(unary);
    expect(JSON.stringify({ b: jsep.binary_ops, u: jsep.unary_ops, l: jsep.literals })).toBe(before);
    expect(jsep("a and b").type).toBe("Compound"); // jsep's default grammar still has no `and`
  });

  test("operators, literals and hooks added to jsep by someone else do not reach our language", () => {
    jsep.addBinaryOp("^", 10);
    jsep.addUnaryOp("~");
    jsep.addLiteral("undefined", undefined);
    jsep.addIdentifierChar("@");
    let foreignHookRuns = 0;
    const hook = () => {
      foreignHookRuns++;
    };
    jsep.hooks.add("gobble-token", hook);
    try {
      expect(errorOf("a ^ b")).toBe("Unexpected token '^' at character 2");
      expect(errorOf("~a")).toBe("Unexpected token '~' at character 0");
      expect(errorOf("undefined")).toBe("unknown name 'undefined'");
      expect(errorOf("@a")).toBe("Unexpected token '@' at character 0");
      expect(run("1 + 1")).toBe(2);
      expect(foreignHookRuns).toBe(0);
      expect(jsep("a ^ b").type).toBe("BinaryExpression"); // theirs still works for them
      expect(foreignHookRuns).toBeGreaterThan(0);
    } finally {
      jsep.removeBinaryOp("^");
      jsep.removeUnaryOp("~");
      jsep.removeLiteral("undefined");
      jsep.removeIdentifierChar("@");
      const hooks = jsep.hooks as unknown as Record<string, unknown[]>;
      hooks["gobble-token"] = (hooks["gobble-token"] ?? []).filter((registered) => registered !== hook);
    }
  });

  test("even with jsep's operators all removed by someone else, ours parse", () => {
    const binary = jsep.binary_ops;
    jsep.removeAllBinaryOps();
    try {
      expect(run("1 + 2 * 3 == 7 and 'a' in 'abc'")).toBe(true);
    } finally {
      const restore = jsep as unknown as { Jsep: { binary_ops: unknown; max_binop_len: number } };
      restore.Jsep.binary_ops = binary;
      restore.Jsep.max_binop_len = 3;
    }
    expect(jsep("1 + 2").type).toBe("BinaryExpression");
  });
});

test("compile errors are ExpressionErrors carrying the position", () => {
  expect(() => compile("a +")).toThrow(ExpressionError);
  expect(failure("x + eval(1)").position).toBe(4);
});
