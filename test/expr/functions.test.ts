import { describe, expect, test } from "vitest";
import { FUNCTION_NAMES } from "../../src/expr/index.js";
import { errorOf, failure, run } from "./helpers.js";

const context = {
  name: "Ada",
  scores: [3, 1, 2],
  words: ["pear", "Apple", "fig"],
  mixed: [1, "a"],
  items: [{ id: 1 }, { id: 2 }],
  obj: { a: 1, b: "x", c: null },
  blank: {},
  none: [],
  nil: null,
};

test("the allow-list is exactly the spec's", () => {
  expect([...FUNCTION_NAMES].sort()).toEqual(
    [
      "len",
      "abs",
      "min",
      "max",
      "sum",
      "round",
      "floor",
      "ceil",
      "str",
      "int",
      "float",
      "bool",
      "keys",
      "values",
      "contains",
      "startswith",
      "endswith",
      "lower",
      "upper",
      "sorted",
      "any",
      "all",
    ].sort(),
  );
});

describe("results", () => {
  test.each([
    ["len('abc')", 3],
    ["len('')", 0],
    ["len(scores)", 3],
    ["len(obj)", 3],
    ["len(blank)", 0],
    ["abs(-2.5)", 2.5],
    ["abs(3)", 3],
    ["min(3, 1, 2)", 1],
    ["min(scores)", 1],
    ["max(scores)", 3],
    ["max(4, 9)", 9],
    ["min(['b', 'a', 'c'])", "a"],
    ["max('b', 'a')", "b"],
    ["min([5])", 5],
    ["sum(scores)", 6],
    ["sum([])", 0],
    ["sum([0.5, 0.25])", 0.75],
    ["round(2.5)", 3],
    ["round(-2.5)", -3],
    ["round(0.5)", 1],
    ["round(1.5)", 2],
    ["round(2.4)", 2],
    ["round(-0.4)", 0],
    ["round(3.14159, 2)", 3.14],
    ["round(2.675, 2)", 2.68], // the decimal text is rounded, not the nearest double below it
    ["round(1.005, 2)", 1.01],
    ["round(-1.005, 2)", -1.01],
    ["round(1250, -2)", 1300],
    ["round(1249, -2)", 1200],
    ["round(0.000123456, 5)", 0.00012],
    ["round(1e300, 300)", 1e300],
    ["round(7, 3)", 7],
    ["floor(2.7)", 2],
    ["floor(-2.1)", -3],
    ["ceil(2.1)", 3],
    ["ceil(-2.9)", -2],
    ["str('x')", "x"],
    ["str(42)", "42"],
    ["str(2.5)", "2.5"],
    ["str(1e21)", "1e+21"],
    ["str(true)", "true"],
    ["str(false)", "false"],
    ["str(null)", "null"],
    ["str([1, 'a', null])", '[1,"a",null]'],
    ["str(obj)", '{"a":1,"b":"x","c":null}'],
    ["str(items)", '[{"id":1},{"id":2}]'],
    ["str([])", "[]"],
    ["str(blank)", "{}"],
    ["int(3.9)", 3],
    ["int(-3.9)", -3],
    ["int('42')", 42],
    ["int(' 42 ')", 42],
    ["int('-7.8')", -7],
    ["int('1e3')", 1000],
    ["int(true)", 1],
    ["int(false)", 0],
    ["float('2.5')", 2.5],
    ["float('.5')", 0.5],
    ["float(3)", 3],
    ["float(true)", 1],
    ["bool(0)", false],
    ["bool(0.1)", true],
    ["bool('')", false],
    ["bool('0')", true],
    ["bool([])", false],
    ["bool([0])", true],
    ["bool(blank)", false],
    ["bool(obj)", true],
    ["bool(null)", false],
    ["bool(false)", false],
    ["keys(obj)", ["a", "b", "c"]],
    ["keys(blank)", []],
    ["values(obj)", [1, "x", null]],
    ["contains(scores, 3)", true],
    ["contains(scores, '3')", false],
    ["contains(name, 'd')", true],
    ["contains(obj, 'a')", true],
    ["startswith(name, 'Ad')", true],
    ["startswith(name, 'da')", false],
    ["startswith(name, '')", true],
    ["endswith(name, 'da')", true],
    ["endswith(name, 'A')", false],
    ["lower(name)", "ada"],
    ["upper(name)", "ADA"],
    ["upper('straße')", "STRASSE"],
    ["sorted(scores)", [1, 2, 3]],
    ["sorted(words)", ["Apple", "fig", "pear"]],
    ["sorted([])", []],
    ["sorted([10, 9, 100])", [9, 10, 100]], // numerically, not as text
    ["any([0, '', 'x'])", true],
    ["any([0, '', null])", false],
    ["any([])", false],
    ["all(scores)", true],
    ["all([1, []])", false],
    ["all([])", true],
  ])("%s", (source, value) => {
    expect(run(source, context)).toEqual(value);
  });

  test("sorted() returns a new array and leaves the context alone", () => {
    const scores = [3, 1, 2];
    expect(run("sorted(scores)", { scores })).toEqual([1, 2, 3]);
    expect(scores).toEqual([3, 1, 2]);
  });

  test("keys() and values() return fresh arrays", () => {
    const obj = { a: 1 };
    const keys = run("keys(obj)", { obj }) as string[];
    keys.push("b");
    expect(run("keys(obj)", { obj })).toEqual(["a"]);
  });

  test("no -0 comes out of the rounding functions", () => {
    for (const source of ["round(-0.4)", "ceil(-0.5)", "int(-0.5)", "round(-0.001, 2)"]) {
      expect(Object.is(run(source), 0)).toBe(true);
    }
  });
});

describe("errors", () => {
  test.each([
    ["len(5)", "len() needs a string, array or object, not number"],
    ["len(nil)", "len() needs a string, array or object, not null"],
    ["abs('1')", "abs() needs a number, not string"],
    ["min([])", "min() of an empty array"],
    ["max([])", "max() of an empty array"],
    ["min(5)", "min() needs an array, not number"],
    ["min(mixed)", "min() needs all numbers or all strings, not a mix of numbers and strings"],
    ["max([null, 1])", "max() needs all numbers or all strings, not null"],
    ["max(1, true)", "max() needs all numbers or all strings, not boolean"],
    ["sum(['1'])", "sum() needs a number, not string"],
    ["sum(obj)", "sum() needs an array, not object"],
    ["sum([1e308, 1e308])", "sum() result is not a finite number"],
    ["round('2')", "round() needs a number, not string"],
    ["round(2, 0.5)", "round() digits must be an integer from -300 to 300, not 0.5"],
    ["round(2, 301)", "round() digits must be an integer from -300 to 300, not 301"],
    ["floor(nil)", "floor() needs a number, not null"],
    ["ceil('x')", "ceil() needs a number, not string"],
    ["int('x')", "int() cannot convert 'x' to a number"],
    ["int('')", "int() cannot convert '' to a number"],
    ["int('0x10')", "int() cannot convert '0x10' to a number"],
    ["int('Infinity')", "int() cannot convert 'Infinity' to a number"],
    ["int('1e400')", "int() result is not a finite number"],
    ["int(nil)", "int() needs a number, numeric string or boolean, not null"],
    ["int(scores)", "int() needs a number, numeric string or boolean, not array"],
    ["float('1,5')", "float() cannot convert '1,5' to a number"],
    ["keys(scores)", "keys() needs an object, not array"],
    ["values('abc')", "values() needs an object, not string"],
    ["contains(5, 5)", "'contains()' needs an array, string or object on the right, not number"],
    ["startswith(name, 1)", "startswith() needs a string, not number"],
    ["endswith(1, 'a')", "endswith() needs a string, not number"],
    ["lower(1)", "lower() needs a string, not number"],
    ["upper(nil)", "upper() needs a string, not null"],
    ["sorted(mixed)", "sorted() needs all numbers or all strings, not a mix of numbers and strings"],
    ["sorted(items)", "sorted() needs all numbers or all strings, not object"],
    ["sorted('cba')", "sorted() needs an array, not string"],
    ["any('x')", "any() needs an array, not string"],
    ["all(obj)", "all() needs an array, not object"],
  ])("%s", (source, message) => {
    expect(errorOf(source, context)).toBe(message);
  });

  test.each([
    ["len()", "len() takes 1 argument (0 given)"],
    ["len('a', 'b')", "len() takes 1 argument (2 given)"],
    ["min()", "min() takes at least 1 argument (0 given)"],
    ["round(1, 2, 3)", "round() takes 1 to 2 arguments (3 given)"],
    ["contains([1])", "contains() takes 2 arguments (1 given)"],
  ])("wrong number of arguments, found at compile time: %s", (source, message) => {
    const error = failure(source);
    expect(error.message).toBe(message);
    expect(error.position).toBe(0);
  });

  test.each([
    ["eval('1')", "function 'eval' is not allowed"],
    ["Function('x')", "function 'Function' is not allowed"],
    ["require('fs')", "function 'require' is not allowed"],
    ["print(1)", "function 'print' is not allowed"],
    ["LEN(name)", "function 'LEN' is not allowed"], // names are case-sensitive
    [
      "name.toUpperCase()",
      "methods are not callable ('toUpperCase'); call a function instead, e.g. upper(x)",
    ],
    ["name['toUpperCase']()", "methods are not callable ([…]); call a function instead, e.g. upper(x)"],
    ["(len)(name)", "only functions can be called, by their name (e.g. len(x))"],
    ["len(name)(1)", "only functions can be called, by their name (e.g. len(x))"],
    ["'abc'()", "only functions can be called, by their name (e.g. len(x))"],
  ])("%s cannot be called", (source, message) => {
    expect(errorOf(source, context)).toBe(message);
  });

  test("a function name is not a value", () => {
    expect(errorOf("len")).toBe("unknown name 'len'");
    expect(run("len", { len: 3 })).toBe(3);
  });
});
