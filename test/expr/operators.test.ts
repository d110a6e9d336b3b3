import { describe, expect, test } from "vitest";
import { errorOf, run } from "./helpers.js";

const context = {
  n: 7,
  zero: 0,
  s: "abc",
  empty: "",
  t: true,
  f: false,
  nil: null,
  xs: [1, "two", null, true],
  obj: { a: 1, b: null },
  nested: { list: [1] },
  none: [],
  blank: {},
};

describe("arithmetic", () => {
  test.each([
    ["1 + 2", 3],
    ["0.1 + 0.2", 0.1 + 0.2],
    ["n - 10", -3],
    ["n * 3", 21],
    ["n / 2", 3.5],
    ["n % 3", 1],
    ["-n % 3", -1], // the sign of the left side, as in JavaScript
    ["5.5 % 2", 1.5],
    ["2 ** 10", 1024],
    ["4 ** 0.5", 2],
    ["2 ** -2", 0.25],
    ["-n", -7],
    ["+n", 7],
    ["- - n", 7],
    ["'ab' + 'cd'", "abcd"],
    ["s + ''", "abc"],
  ])("%s", (source, value) => {
    expect(run(source, context)).toBe(value);
  });

  test.each([
    ["'a' + 1", "'+' is not supported between string and number (convert with str() first)"],
    ["1 + 'a'", "'+' is not supported between number and string (convert with str() first)"],
    ["1 + nil", "'+' is not supported between number and null"],
    ["t + 1", "'+' is not supported between boolean and number"],
    ["[1] + [2]", "'+' is not supported between array and array"],
    ["obj + obj", "'+' is not supported between object and object"],
    ["'a' * 3", "'*' is not supported between string and number"],
    ["'6' - 1", "'-' is not supported between string and number"],
    ["'6' / 2", "'/' is not supported between string and number"],
    ["n % '2'", "'%' is not supported between number and string"],
    ["'2' ** 2", "'**' is not supported between string and number"],
    ["n / 0", "division by zero"],
    ["n % zero", "division by zero"],
    ["10 ** 400", "result of '**' is not a finite number"],
    ["(-8) ** 0.5", "result of '**' is not a finite number"],
    ["1e308 * 10", "result of '*' is not a finite number"],
    ["1e308 + 1e308", "result of '+' is not a finite number"],
    ["-1e308 - 1e308", "result of '-' is not a finite number"],
    ["2 ** 1001", "exponent 1001 is out of range (at most 1000 either way)"],
    ["2 ** -1001", "exponent -1001 is out of range (at most 1000 either way)"],
    ["-s", "unary '-' is not supported for string"],
    ["+'1'", "unary '+' is not supported for string"],
    ["-nil", "unary '-' is not supported for null"],
  ])("%s is an error", (source, message) => {
    expect(errorOf(source, context)).toBe(message);
  });

  test("the exponent bound is inclusive", () => {
    expect(run("1 ** 1000")).toBe(1);
    expect(run("1 ** -1000")).toBe(1);
  });
});

describe("comparison: == is ===, no coercion", () => {
  test.each([
    ["1 == 1", true],
    ["1 == 1.0", true],
    ["1 == '1'", false],
    ["0 == false", false],
    ["nil == null", true],
    ["nil == 0", false],
    ["'' == false", false],
    ["s == 'abc'", true],
    ["1 != '1'", true],
    ["1 === 1", true],
    ["1 !== 1", false],
    ["t is true", true],
    ["nil is null", true],
    ["0 is not null", true],
    ["nil is not null", false],
    ["obj == obj", true], // the same object of the context
    ["[1] == [1]", false], // two arrays: identity, as ===
    ["1 < 2", true],
    ["2 <= 2", true],
    ["3 > 2", true],
    ["2 >= 3", false],
    ["'abc' < 'abd'", true],
    ["'B' < 'a'", true], // by UTF-16 code unit
    ["'b' >= 'b'", true],
  ])("%s", (source, value) => {
    expect(run(source, context)).toBe(value);
  });

  test.each([
    ["'1' < 2", "'<' is not supported between string and number"],
    ["nil > 0", "'>' is not supported between null and number"],
    ["t >= f", "'>=' is not supported between boolean and boolean"],
    ["[1] <= [2]", "'<=' is not supported between array and array"],
    ["1 < 2 < 3", "'<' is not supported between boolean and number"],
  ])("%s is an error", (source, message) => {
    expect(errorOf(source, context)).toBe(message);
  });
});

describe("logic uses truthiness and returns an operand", () => {
  test.each([
    ["t and 'yes'", "yes"],
    ["f and 'yes'", false],
    ["none && 'yes'", []],
    ["f or 'fallback'", "fallback"],
    ["empty || 'fallback'", "fallback"],
    ["blank || 0 || 'last'", "last"],
    ["s or 'fallback'", "abc"],
    ["not t", false],
    ["not none", true],
    ["not blank", true],
    ["not obj", false],
    ["!empty", true],
    ["!!s", true],
    ["!zero", true],
    ["nil ?? 'default'", "default"],
    ["f ?? 'default'", false],
    ["zero ?? 5", 0],
    ["empty ?? 'x'", ""],
    ["t ? 'a' : 'b'", "a"],
    ["none ? 'a' : 'b'", "b"],
    ["obj ? 'a' : 'b'", "a"],
  ])("%s", (source, value) => {
    expect(run(source, context)).toEqual(value);
  });

  test("the operand not needed is not evaluated (so its error does not happen)", () => {
    expect(run("f and undefined_name", context)).toBe(false);
    expect(run("t or 1 / 0", context)).toBe(true);
    expect(run("n ?? nil.x", context)).toBe(7);
    expect(run("t ? 1 : nil.x", context)).toBe(1);
    expect(run("f ? nil.x : 2", context)).toBe(2);
  });
});

describe("membership", () => {
  test.each([
    ["1 in xs", true],
    ["'two' in xs", true],
    ["null in xs", true],
    ["true in xs", true],
    ["'1' in xs", false], // strict equality
    ["[1] in [[1]]", false], // arrays are compared by identity
    ["3 not in xs", true],
    ["'b' in s", true],
    ["'' in s", true],
    ["'bc' not in s", false],
    ["'a' in obj", true],
    ["'b' in obj", true], // an own key whose value is null
    ["'c' in obj", false],
    ["'toString' in obj", false], // own keys only
    ["'hasOwnProperty' in blank", false],
    ["'length' in none", false],
    ["1 in none", false],
  ])("%s", (source, value) => {
    expect(run(source, context)).toBe(value);
  });

  test.each([
    ["1 in s", "'in' with a string on the right needs a string on the left, not number"],
    ["1 in obj", "'in' with an object on the right needs a string key on the left, not number"],
    ["1 not in obj", "'not in' with an object on the right needs a string key on the left, not number"],
    ["'a' in nil", "'in' needs an array, string or object on the right, not null"],
    ["'a' in n", "'in' needs an array, string or object on the right, not number"],
    ["'__proto__' in obj", "access to '__proto__' is not allowed"],
  ])("%s is an error", (source, message) => {
    expect(errorOf(source, context)).toBe(message);
  });
});
