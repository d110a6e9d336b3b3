import { readFileSync } from "node:fs";
import { expect } from "vitest";
import { FlowInvalidError } from "../../../src/core/errors.js";
import type { JsonObject } from "../../../src/core/types.js";
import { parseAndValidateFlowDsl } from "../../../src/dsl/index.js";
import { defaultRegistry } from "../../../src/routines/index.js";
import { runDefinition } from "./run-flow.js";

/**
 * Docs examples are tested as written. Every ```yaml and ```json block of a page is a DSL document; an HTML
 * comment right before it may say what to do with it:
 *   <!-- example: {"params": {...}, "results": [...]} -->   run it from `entry` (default "start"), compare
 *                                                           shared.results (or the whole `shared`)
 *   <!-- example: {"error": "..."} -->                     loading it must fail with this issue
 * A block without a comment must load and validate against the default registry.
 * Every ```ts block must appear, line for line, in the page's snippets test, which runs it.
 */

export interface ExampleSpec {
  entry?: string;
  params?: JsonObject;
  results?: unknown[];
  shared?: JsonObject;
  error?: string;
}

export interface DocBlock {
  lang: string;
  text: string;
  /** 1-based line of the opening fence, for test names. */
  line: number;
  spec: ExampleSpec | null;
}

const FENCE = /(?:<!-- example: (.*?) -->\s*\n)?```(\w+)[^\n]*\n([\s\S]*?)\n```/g;

export function docBlocks(path: string): DocBlock[] {
  const markdown = readFileSync(path, "utf8");
  return [...markdown.matchAll(FENCE)].map((match) => ({
    lang: match[2]!,
    text: match[3]!,
    line: markdown.slice(0, match.index + match[0].indexOf("```")).split("\n").length,
    spec: match[1] ? (JSON.parse(match[1]) as ExampleSpec) : null,
  }));
}

export const isDslBlock = (block: DocBlock): boolean => block.lang === "yaml" || block.lang === "json";

const registry = defaultRegistry();

/** Loads (and, when the spec says so, runs) one DSL example; fails the test when it does not do as documented. */
export async function checkDslExample(block: DocBlock): Promise<void> {
  const load = () =>
    parseAndValidateFlowDsl(block.text, registry, {
      now: "2026-01-15T08:30:00.000Z",
      generateId: () => "doc_example",
    });
  const spec = block.spec ?? {};
  if (spec.error !== undefined) {
    let issues: string[] = [];
    try {
      load();
    } catch (error) {
      if (!(error instanceof FlowInvalidError)) throw error;
      issues = error.issues;
    }
    expect(issues).toContain(spec.error);
    return;
  }
  const { flow } = load();
  if (spec.params === undefined) return;
  const run = await runDefinition(flow, spec.params, { entry: spec.entry, registry });
  expect(run.record).toMatchObject({ status: "completed", error: null });
  if (spec.results !== undefined) expect(run.results).toEqual(spec.results);
  if (spec.shared !== undefined) expect(run.job.shared).toEqual(spec.shared);
}

/** Each line of a snippet, trimmed, must appear in order and contiguously in the test source. */
export function expectSnippetIn(snippet: string, testSource: string): void {
  const normalize = (text: string) =>
    text
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line !== "")
      .join("\n");
  expect(normalize(testSource)).toContain(normalize(snippet));
}
