import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { builtinRoutines } from "../../src/routines/index.js";
import { checkDslExample, docBlocks, expectSnippetIn, isDslBlock } from "./support/doc-examples.js";

const page = "docs/routines.md";
const blocks = docBlocks(page);

describe(`${page}: every example does what the page says`, () => {
  test("every built-in has a section", () => {
    const markdown = readFileSync(page, "utf8");
    for (const type of builtinRoutines) expect(markdown).toContain(`\n## ${type.name}\n`);
  });

  for (const block of blocks.filter(isDslBlock)) {
    test(`${block.lang} example at line ${block.line}`, () => checkDslExample(block));
  }

  for (const block of blocks.filter((b) => b.lang === "ts")) {
    test(`ts snippet at line ${block.line} is run by test/routines/doc-snippets.test.ts`, () => {
      expectSnippetIn(block.text, readFileSync("test/routines/doc-snippets.test.ts", "utf8"));
    });
  }
});
