import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JobEvent } from "../../src/core/types.js";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";
import {
  checkedTable,
  codeSpans,
  expectDocumentedReply,
  itemList,
  readDoc,
  runShellExamples,
  shellExamples,
} from "./support/doc-examples.js";

/**
 * docs/debugging.md and docs/conditional-breakpoints.md stay true: their `sh` blocks run in order against a
 * fresh server and print the documented replies, and each row of their example tables is a real job.
 */

const debugging = readDoc("debugging.md");
const breakpoints = readDoc("conditional-breakpoints.md");

/** The five-item job every table of conditional-breakpoints.md talks about. */
const TABLE_JOB = { data: "hello", count: 5 };

let api: DebugApi;
beforeAll(async () => {
  api = await startDebugServer({ ROUTILUX_EXPR_EVAL_ENABLED: "true" });
});
afterAll(() => api?.close());

describe.each([
  ["debugging.md", debugging],
  ["conditional-breakpoints.md", breakpoints],
])("the sh examples of docs/%s", (_name, doc) => {
  const examples = shellExamples(doc);

  test("run in order and print the documented replies", async () => {
    expect(examples.length).toBeGreaterThan(0);
    const outputs = await runShellExamples(examples, api.url);
    for (const [i, example] of examples.entries()) expectDocumentedReply(example, outputs[i]!);
  });
});

test("debugging.md's walk-through documents a reply for most of its steps", () => {
  const examples = shellExamples(debugging);
  expect(examples.length).toBeGreaterThanOrEqual(15);
  expect(examples.filter((e) => e.expected !== undefined).length).toBeGreaterThanOrEqual(examples.length - 1);
});

/** Starts the table job with `breakpoint` on transformer.input, resumes at every pause; the items it paused at. */
async function pausedItems(
  breakpoint: Record<string, unknown>,
): Promise<{ items: unknown[]; events: JobEvent[] }> {
  const { job_id } = await api.startJob("linear_flow", TABLE_JOB, {
    breakpoints: [{ type: "slot", routine_id: "transformer", slot_name: "input", ...breakpoint }],
  });
  const items: unknown[] = [];
  while ((await api.waitForStatus(job_id, ["paused", "completed"])).status === "paused") {
    items.push((await api.variables(job_id)).index);
    await api.control(job_id, "resume");
  }
  return { items, events: await api.events(job_id) };
}

describe("the tables of docs/conditional-breakpoints.md", () => {
  test.each(checkedTable(breakpoints, "conditions"))("condition %s pauses at items %s", async (cell, at) => {
    const [condition] = codeSpans(cell);
    expect((await pausedItems({ condition })).items).toEqual(itemList(at));
  });

  test.each(checkedTable(breakpoints, "hit conditions"))(
    "hit condition %s with condition %s pauses at items %s",
    async (hitCell, conditionCell, at) => {
      const [hit_condition] = codeSpans(hitCell);
      const [condition] = codeSpans(conditionCell);
      expect((await pausedItems({ hit_condition, condition })).items).toEqual(itemList(at));
    },
  );

  test.each(checkedTable(breakpoints, "logpoints"))(
    "log message %s with condition %s logs %s",
    async (messageCell, conditionCell, loggedCell) => {
      const [log_message] = codeSpans(messageCell);
      const [condition] = codeSpans(conditionCell);
      const { items, events } = await pausedItems({ log_message, condition });
      expect(items).toEqual([]);
      const logged = events.filter((e) => e.type === "log").map((e) => e.data.message);
      expect(logged).toEqual(codeSpans(loggedCell));
    },
  );
});
