import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import * as errors from "../../docs/examples/concepts-errors.js";
import * as events from "../../docs/examples/concepts-events.js";
import * as flows from "../../docs/examples/concepts-flows.js";
import * as jobs from "../../docs/examples/concepts-jobs.js";
import * as routines from "../../docs/examples/concepts-routines.js";

/**
 * docs/concepts.md shows each docs/examples/concepts-*.ts file in full; this test keeps the page and the files
 * in step and runs every example, expecting what the page says it returns.
 */

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const page = read("docs/concepts.md");
const tsBlocks = [...page.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((match) => match[1]!);

const examples = [
  {
    name: "routines",
    main: routines.main,
    returns: [{ text: "HI, ADA!" }],
  },
  {
    name: "flows",
    main: flows.main,
    returns: { warnings: [], results: [{ doubled: [6], squared: [9] }] },
  },
  {
    name: "jobs",
    main: jobs.main,
    returns: {
      statuses: ["pending", "running", "paused", "completed"],
      refused: "Cannot pause job 'slow-1': it is paused, not running",
      results: 6,
    },
  },
  {
    name: "events",
    main: events.main,
    returns: {
      events: [
        "1 job_started",
        "2 slot_called start trigger",
        "3 routine_started start trigger",
        "4 event_emitted start output",
        "5 routine_completed start trigger",
        "6 slot_called sink input",
        "7 routine_started sink input",
        "8 routine_completed sink input",
        "9 job_completed",
      ],
      after7: ["routine_completed", "job_completed"],
      heard: 9,
    },
  },
  {
    name: "errors",
    main: errors.main,
    returns: {
      retry: { status: "completed", error: null, failures: ["retrying", "retrying"] },
      stop: { status: "failed", error: "Routine 'flaky' failed: try 1 failed", failures: ["failed"] },
    },
  },
] as const;

describe("docs/concepts.md", () => {
  test("starts by saying what the reader can do after reading it", () => {
    expect(page.split("\n").slice(0, 4).join(" ")).toMatch(/After reading this page you can/);
  });

  test("every ts block on the page is one of the example files, and every example file is on the page", () => {
    const files = examples.map(({ name }) => read(`docs/examples/concepts-${name}.ts`).trimEnd());
    expect(tsBlocks).toEqual(files);
  });

  for (const example of examples) {
    test(`example concepts-${example.name}.ts returns what the page says`, async () => {
      expect(await example.main()).toEqual(example.returns);
    });
  }
});
