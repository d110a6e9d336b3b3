import { describe, expect, test } from "vitest";
import { compile } from "../../src/expr/index.js";
import { errorOf, run } from "./helpers.js";

const context = {
  status: "ok",
  user: { name: "Ada", tags: ["x", "y"], address: null, "first-name": "A" },
  items: [{ priority: "high" }, { priority: "low" }],
  word: "hello",
  n: 5,
  t: true,
  nil: null,
  key: "name",
  i: 1,
};

describe("names are own properties of the context", () => {
  test("a name reads its value", () => {
    expect(run("status", context)).toBe("ok");
    expect(run("nil", context)).toBe(null);
  });
  test("an unknown name is an error", () => {
    expect(errorOf("foo", context)).toBe("unknown name 'foo'");
  });
  test("inherited names do not exist", () => {
    expect(errorOf("toString", context)).toBe("unknown name 'toString'");
    expect(errorOf("hasOwnProperty", context)).toBe("unknown name 'hasOwnProperty'");
    const child = Object.create({ inherited: 1 }) as Record<string, unknown>;
    child.own = 2;
    expect(run("own", child)).toBe(2);
    expect(errorOf("inherited", child)).toBe("unknown name 'inherited'");
  });
  test("a context with a null prototype works", () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { a: 1 });
    expect(run("a + 1", bare)).toBe(2);
  });
  test("a property holding undefined reads as null", () => {
    expect(run("u", { u: undefined })).toBe(null);
  });
  test("the context must be an object", () => {
    const expression = compile("1");
    expect(() => expression.evaluate(null as never)).toThrow("context must be an object");
    expect(() => expression.evaluate([] as never)).toThrow("context must be an object");
    expect(() => expression.evaluate("x" as never)).toThrow("context must be an object");
  });
});

describe("object members", () => {
  test.each([
    ["user.name", "Ada"],
    ["user['name']", "Ada"],
    ['user["first-name"]', "A"],
    ["user[key]", "Ada"],
    ["user.tags[1]", "y"],
    ["items[0].priority", "high"],
    ["items[i]['priority']", "low"],
    ["user.missing", null],
    ["user.address", null],
    ["user.toString", null], // inherited: not there
    ["user.hasOwnProperty", null],
    ["user . name", "Ada"],
  ])("%s", (source, value) => {
    expect(run(source, context)).toEqual(value);
  });

  test("a member of null, a number or a boolean is an error", () => {
    expect(errorOf("nil.x", context)).toBe("cannot read 'x' of null");
    expect(errorOf("user.address.street", context)).toBe("cannot read 'street' of null");
    expect(errorOf("user.missing[0]", context)).toBe("cannot read '0' of null");
    expect(errorOf("n.x", context)).toBe("cannot read 'x' of number");
    expect(errorOf("t.x", context)).toBe("cannot read 'x' of boolean");
    expect(errorOf("(1).toFixed", context)).toBe("cannot read 'toFixed' of number");
  });

  test("object keys are strings", () => {
    expect(errorOf("user[0]", context)).toBe("object keys are strings, not number (0)");
    expect(errorOf("user[nil]", context)).toBe("object keys are strings, not null");
  });
});

describe("arrays and strings: integer indices and length", () => {
  test.each([
    ["items.length", 2],
    ["items['length']", 2],
    ["items[1].priority", "low"],
    ["items[2]", null], // past the end
    ["items[1000000]", null],
    ["word[0]", "h"],
    ["word[4]", "o"],
    ["word[5]", null],
    ["word.length", 5],
    ["'abc'.length", 3],
    ["[1, 2, 3][2]", 3],
    ["[1, 2, 3].length", 3],
  ])("%s", (source, value) => {
    expect(run(source, context)).toEqual(value);
  });

  test.each([
    ["items.map", "arrays have only integer indices and 'length', not 'map'"],
    ["items['push']", "arrays have only integer indices and 'length', not 'push'"],
    ["word.toUpperCase", "strings have only integer indices and 'length', not 'toUpperCase'"],
    ["items[1.5]", "array index must be an integer, not 1.5"],
    ["items[-1]", "array index must not be negative, not -1"],
    ["word[-1]", "string index must not be negative, not -1"],
    ["items[t]", "arrays have only integer indices and 'length', not 'boolean'"],
    ["items['0']", "arrays have only integer indices and 'length', not '0'"],
  ])("%s is an error", (source, message) => {
    expect(errorOf(source, context)).toBe(message);
  });

  test("a hole in a sparse array reads as null", () => {
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point
    expect(run("xs[1]", { xs: [1, , 3] })).toBe(null);
  });
});

describe("optional chaining ?.", () => {
  test.each([
    ["nil?.x", null],
    ["nil?.x.y.z", null], // the whole chain stops at the first ?. that meets null
    ["nil?.[0]", null],
    ["nil?.[0][1]", null],
    ["n?.x", null], // numbers and booleans have no members either
    ["t?.x", null],
    ["user?.name", "Ada"],
    ["user?.address?.street", null],
    ["user.address?.street", null],
    ["user?.missing?.deep", null],
    ["items?.[0]?.priority", "high"],
    ["user?.tags?.length", 2],
    ["nil?.x ?? 'none'", "none"],
  ])("%s", (source, value) => {
    expect(run(source, context)).toEqual(value);
  });

  test("without ?. the chain still fails past a null", () => {
    expect(errorOf("user?.address.street", context)).toBe("cannot read 'street' of null");
  });

  test("parentheses end the chain, as in JavaScript", () => {
    expect(errorOf("(nil?.x).y", context)).toBe("cannot read 'y' of null");
  });

  test("?. does not excuse an invalid key", () => {
    expect(errorOf("items?.map", context)).toBe("arrays have only integer indices and 'length', not 'map'");
  });

  test("?. before a digit is a conditional", () => {
    expect(run("t ?.5 : 1", context)).toBe(0.5);
  });
});

describe("live objects: only own data properties are read, no code runs", () => {
  test("an accessor property is an error and its getter does not run", () => {
    let getterRuns = 0;
    const live = {
      get secret() {
        getterRuns++;
        return 42;
      },
    };
    expect(errorOf("secret", live)).toBe("'secret' is an accessor property and cannot be read");
    expect(errorOf("o.secret", { o: live })).toBe("'secret' is an accessor property and cannot be read");
    expect(errorOf("str(o)", { o: live })).toBe("'secret' is an accessor property and cannot be read");
    expect(errorOf("values(o)", { o: live })).toBe("'secret' is an accessor property and cannot be read");
    expect(run("'secret' in o", { o: live })).toBe(true); // only the key is looked at
    expect(run("len(o)", { o: live })).toBe(1);
    expect(getterRuns).toBe(0);
  });

  test("an accessor element of an array is an error, also when walked by a function", () => {
    let getterRuns = 0;
    const array = [1, 2];
    Object.defineProperty(array, 1, {
      get() {
        getterRuns++;
        return 2;
      },
    });
    expect(errorOf("xs[1]", { xs: array })).toBe("'1' is an accessor property and cannot be read");
    expect(errorOf("2 in xs", { xs: array })).toBe("'1' is an accessor property and cannot be read");
    expect(errorOf("sum(xs)", { xs: array })).toBe("'1' is an accessor property and cannot be read");
    expect(getterRuns).toBe(0);
  });

  test("values that are not JSON data are errors when read", () => {
    class Engine {
      state = 1;
    }
    const live = {
      fn: () => 1,
      date: new Date(0),
      map: new Map(),
      engine: new Engine(),
      symbol: Symbol("s"),
      big: 10n,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
    };
    expect(errorOf("fn", live)).toBe("value of 'fn' is a function, not JSON data");
    expect(errorOf("date", live)).toBe("value of 'date' is a non-plain object, not JSON data");
    expect(errorOf("map", live)).toBe("value of 'map' is a non-plain object, not JSON data");
    expect(errorOf("engine", live)).toBe("value of 'engine' is a non-plain object, not JSON data");
    expect(errorOf("symbol", live)).toBe("value of 'symbol' is a symbol, not JSON data");
    expect(errorOf("big", live)).toBe("value of 'big' is a bigint, not JSON data");
    expect(errorOf("nan", live)).toBe("value of 'nan' is a non-finite number, not JSON data");
    expect(errorOf("inf", live)).toBe("value of 'inf' is a non-finite number, not JSON data");
    expect(errorOf("o.fn", { o: live })).toBe("value of 'fn' is a function, not JSON data");
    expect(errorOf("xs[0]", { xs: [() => 1] })).toBe("value of '0' is a function, not JSON data");
  });

  test("a class instance as the whole context is read by its own data properties", () => {
    class Frame {
      index = 3;
      get computed() {
        throw new Error("must not run");
      }
    }
    expect(run("index * 10", new Frame() as unknown as Record<string, unknown>)).toBe(30);
    expect(errorOf("computed", new Frame() as unknown as Record<string, unknown>)).toBe(
      "unknown name 'computed'",
    );
  });
});
