/**
 * Runs every example of docs/expressions.md: the rows of each "| Expression | Result |" table are
 * evaluated in the page's example context, and the bounds table's messages are produced for real.
 */
import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { FUNCTION_NAMES, snapshot, tryEvaluate, typeOfResult } from "../../src/expr/index.js";

const DOC = readFileSync(new URL("../../docs/expressions.md", import.meta.url), "utf8");

/** Cells of a markdown table row; `\|` inside a cell is a literal bar. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));
}

/** The data rows of every table whose header starts with the given column names. */
function tableRows(...header: string[]): string[][] {
  const lines = DOC.split("\n");
  const rows: string[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith("|")) continue;
    const head = cells(line);
    if (!header.every((name, column) => head[column] === name)) continue;
    for (i += 2; i < lines.length && lines[i]!.startsWith("|"); i++) rows.push(cells(lines[i]!));
  }
  return rows;
}

const contextMatch = /<!-- example-context -->\s*```json\n([\s\S]*?)```/.exec(DOC);
const CONTEXT = JSON.parse(contextMatch![1]!) as Record<string, unknown>;

type Expected = { value: unknown } | { error: string };

function expected(cell: string): Expected {
  const error = /^error `(.+)`$/.exec(cell);
  if (error) return { error: error[1]! };
  const value = /^`(.+)`$/.exec(cell);
  if (!value) throw new Error(`a Result cell must be \`json\` or error \`message\`: ${cell}`);
  return { value: JSON.parse(value[1]!) };
}

const EXAMPLES = tableRows("Expression", "Result").map(([expression, result]) => {
  const source = /^`(.+)`$/.exec(expression!);
  if (!source) throw new Error(`an Expression cell must be code: ${expression}`);
  return { source: source[1]!, expected: expected(result!) };
});

describe("the examples of docs/expressions.md", () => {
  test("the page has its examples", () => {
    expect(EXAMPLES.length).toBeGreaterThan(100);
  });

  test.each(EXAMPLES)("$source", ({ source, expected }) => {
    const reply = tryEvaluate(source, CONTEXT);
    if ("error" in expected) expect(reply.error).toBe(expected.error);
    else expect(reply).toEqual({ result: expected.value, type: typeOfResult(expected.value), error: null });
    // The same in a snapshot of the context, as the engine builds it.
    expect(tryEvaluate(source, snapshot(CONTEXT) as Record<string, unknown>)).toEqual(reply);
  });

  test("the function table lists exactly the allowed functions, each with an example", () => {
    const documented = tableRows("Function", "What it does").flatMap(([names]) =>
      [...names!.matchAll(/`(\w+)\(/g)].map((match) => match[1]!),
    );
    expect([...new Set(documented)].sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const name of FUNCTION_NAMES) {
      expect(EXAMPLES.some(({ source }) => source.includes(`${name}(`))).toBe(true);
    }
  });
});

describe("the bounds table of docs/expressions.md", () => {
  const big = (length: number) => snapshot(new Array(length).fill(1));
  /** An input that trips each bound, in the order of the table's rows. */
  const TRIGGERS: Array<[string, Record<string, unknown>]> = [
    [`'${"a".repeat(5000)}'`, {}],
    [`${"(".repeat(70)}1${")".repeat(70)}`, {}],
    ["len(sorted(xs)) + len(sorted(xs))", { xs: big(50_000) }],
    ["s + s", { s: "a".repeat(60_000) }],
    ["sorted(xs)", { xs: big(100_001) }],
    ["2 ** 1001", {}],
    [`str(x)`, { x: JSON.parse(`${"[".repeat(70)}${"]".repeat(70)}`) }],
  ];
  const rows = tableRows("Bound", "Limit", "Error");

  test("every bound has a trigger", () => {
    expect(rows).toHaveLength(TRIGGERS.length);
  });

  test.each(rows.map((row, i) => [row[0]!, row[2]!, TRIGGERS[i]!] as const))(
    "%s",
    (_bound, cell, trigger) => {
      const message = /^`(.+)`$/.exec(cell)![1]!;
      // N in the table stands for the number at hand (a position, an exponent).
      const pattern = new RegExp(
        `^${message.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replaceAll("N", "\\d+")}$`,
      );
      const [source, context] = trigger;
      expect(tryEvaluate(source, context).error).toMatch(pattern);
    },
  );
});
