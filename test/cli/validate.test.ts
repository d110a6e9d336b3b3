import { afterAll, beforeAll, expect, test } from "vitest";
import { DOUBLE_FLOW, DOUBLE_ROUTINE, TYPO_FLOW } from "./fixtures.js";
import { routilux, type TempProject, tempProject } from "./support.js";

/** `routilux validate`: exit 0 when every flow is valid, 1 with each bad file and its reasons, 2 on misuse. */

let project: TempProject;
const validate = (...args: string[]) => routilux(["validate", ...args], { cwd: project.dir });

beforeAll(async () => {
  project = await tempProject();
  await project.write("routines/double.ts", DOUBLE_ROUTINE);
  await project.write("flows/double.yaml", DOUBLE_FLOW);
  await project.write("bad-flows/typo.yaml", TYPO_FLOW);
  await project.write("broken-routines/broken.ts", "export const Broken = defineRoutine({ name: ;\n");
});
afterAll(() => project?.remove());

test("a valid flow using the user's routines exits 0 and names the flow after its file", async () => {
  const result = await validate("flows/double.yaml", "--routines", "routines");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("flows/double.yaml: flow 'double' is valid");
});

test("an unknown routine type exits 1 with the file and the reason", async () => {
  const result = await validate("bad-flows/typo.yaml", "--routines", "routines");
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("bad-flows/typo.yaml: invalid");
  expect(result.stderr).toContain("error: routine 'double': unknown type 'Dubble'");
});

test("without --routines the user's types are unknown", async () => {
  const result = await validate("flows/double.yaml");
  expect(result.code).toBe(1);
  expect(result.stderr).toContain("unknown type 'Double'");
});

test("directories are expanded; one invalid file makes the exit code 1, the valid ones are still reported", async () => {
  const result = await validate("flows", "bad-flows", "--routines", "routines");
  expect(result.code).toBe(1);
  expect(result.stdout).toContain("flows/double.yaml: flow 'double' is valid");
  expect(result.stderr).toContain("bad-flows/typo.yaml: invalid");
});

test("a missing path or no path at all is a usage error: exit 2", async () => {
  const missing = await validate("flows/nope.yaml");
  expect(missing.code).toBe(2);
  expect(missing.stderr).toContain("routilux: flows/nope.yaml: no such file or directory");
  const none = await validate();
  expect(none.code).toBe(2);
  expect(none.stderr).toContain("missing <flow-file>");
});

test("a routine module that does not load exits 1 naming the module", async () => {
  const result = await validate("flows/double.yaml", "--routines", "broken-routines");
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/routilux: .*broken-routines\/broken\.ts: cannot be loaded/);
});
