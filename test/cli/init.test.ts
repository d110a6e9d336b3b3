import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Finished, routilux, runProcess, type TempProject, tempProject } from "./support.js";

/** `routilux init`: a project that passes its own `validate` and its own test the moment it exists. */

let project: TempProject;
let init: Finished;
const npm = (args: string[]) =>
  runProcess("npm", args, {
    cwd: project.path("hello-app"),
    timeoutMs: 90_000,
    env: { npm_config_loglevel: "error" },
  });

beforeAll(async () => {
  project = await tempProject();
  init = await routilux(["init", "hello-app"], { cwd: project.dir });
});
afterAll(() => project?.remove());

test("init lists what it made and what to do next", async () => {
  expect(init.code).toBe(0);
  expect(init.stdout).toContain("Created a Routilux project in hello-app:");
  for (const file of [
    ".gitignore",
    "README.md",
    "flows/hello.yaml",
    "package.json",
    "src/routines/greet.ts",
    "test/greet.test.ts",
    "tsconfig.json",
    "wrangler.toml",
  ]) {
    expect(init.stdout).toContain(`  ${file}\n`);
  }
  expect(init.stdout).toContain("cd hello-app\n  npm install\n  npm test");
  const manifest = JSON.parse(await readFile(project.path("hello-app/package.json"), "utf8"));
  expect(manifest.name).toBe("hello-app");
  expect(manifest.dependencies.routilux).toMatch(/^\^\d+\.\d+\.\d+/);
  expect(Object.keys(manifest.scripts)).toEqual(
    expect.arrayContaining(["dev", "test", "validate", "deploy"]),
  );
});

test("the new project passes its own validate script", async () => {
  const result = await npm(["run", "validate"]);
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("flows/hello.yaml: flow 'hello' is valid");
});

test("the new project passes its own test script", async () => {
  const result = await npm(["test"]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).toContain("# pass 1");
  expect(result.stdout).toContain("# fail 0");
});

test("init refuses a directory that is not empty (exit 2)", async () => {
  const again = await routilux(["init", "hello-app"], { cwd: project.dir });
  expect(again.code).toBe(2);
  expect(again.stderr).toContain("hello-app is not empty");
});
