import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { checkDslExample, docBlocks, expectSnippetIn, isDslBlock } from "../routines/support/doc-examples.js";

const page = "docs/dsl.md";
const blocks = docBlocks(page);

describe(`${page}: every example does what the page says`, () => {
  test("the page has the examples it promises", () => {
    expect(blocks.filter(isDslBlock).length).toBeGreaterThanOrEqual(7);
    expect(blocks.filter((block) => block.lang === "ts")).toHaveLength(1);
  });

  for (const block of blocks.filter(isDslBlock)) {
    test(`${block.lang} example at line ${block.line}`, () => checkDslExample(block));
  }

  for (const block of blocks.filter((b) => b.lang === "ts")) {
    test(`ts snippet at line ${block.line} is run by test/dsl/doc-snippets.test.ts`, () => {
      expectSnippetIn(block.text, readFileSync("test/dsl/doc-snippets.test.ts", "utf8"));
    });
  }
});
