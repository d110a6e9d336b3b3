import { afterAll, beforeAll, expect, test } from "vitest";
import { DOUBLE_FLOW, DOUBLE_ROUTINE } from "./fixtures.js";
import { routilux, type TempProject, tempProject } from "./support.js";

/** `routilux run`: one job in the terminal — progress lines, a summary, the job's outcome as the exit code. */

let project: TempProject;
const run = (...args: string[]) => routilux(["run", ...args], { cwd: project.dir });

beforeAll(async () => {
  project = await tempProject();
  await project.write("routines/double.ts", DOUBLE_ROUTINE);
  await project.write("flows/double.yaml", DOUBLE_FLOW);
  await project.write(
    "routines/faulty.mjs",
    `import { defineRoutine } from "routilux";
export default [defineRoutine({
  name: "Faulty", slots: ["input"], events: [],
  handlers: { input() { throw new Error("out of coffee"); } },
})];
`,
  );
  await project.write(
    "flows/faulty.yaml",
    "routines:\n  start: { class: Start }\n  boom: { class: Faulty }\nconnections:\n  - { from: start.output, to: boom.input }\n",
  );
  await project.write("flows/two-roots.yaml", "routines:\n  a: { class: Start }\n  b: { class: Start }\n");
});
afterAll(() => project?.remove());

test("a completed job exits 0 with progress, a summary and the shared data", async () => {
  const result = await run("flows/double.yaml", "--routines", "routines", "--params", '{"value": 7}');
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("job started");
  expect(result.stdout).toMatch(/✓ double\.input [\d.]+ ms/);
  expect(result.stdout).toContain("job completed");
  expect(result.stdout).toMatch(/Summary: completed in [\d.]+ s, \d+ events/);
  expect(result.stdout).toContain("  double: 1 run(s), completed");
  expect(result.stdout).toContain('Shared data: {"results":[{"value":21}]}');
});

test("a failed job exits 1 and says why (a plain .mjs routine module with a default export works too)", async () => {
  const result = await run("flows/faulty.yaml", "--routines", "routines/faulty.mjs");
  expect(result.code).toBe(1);
  expect(result.stdout).toContain("✗ boom.input: out of coffee");
  expect(result.stdout).toContain("Summary: failed");
});

test("a flow with several possible entries needs --entry (exit 2), and runs with it", async () => {
  const ambiguous = await run("flows/two-roots.yaml");
  expect(ambiguous.code).toBe(2);
  expect(ambiguous.stderr).toContain("several routines (a, b) without incoming connections");
  const chosen = await run("flows/two-roots.yaml", "--entry", "b");
  expect(chosen.code).toBe(0);
  expect(chosen.stdout).toContain("  b: 1 run(s), completed");
});

test("--params must be a JSON object (exit 2)", async () => {
  const result = await run("flows/double.yaml", "--routines", "routines", "--params", "[1]");
  expect(result.code).toBe(2);
  expect(result.stderr).toContain("--params must be a JSON object");
});
