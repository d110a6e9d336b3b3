import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { DOUBLE_FLOW, DOUBLE_ROUTINE } from "../cli/fixtures.js";
import { Child, httpApi, REPO, runProcess } from "../cli/support.js";
import { expectDocumentedReply } from "../debug/support/doc-examples.js";
import { docBlocks, runDoc } from "./doc-runner.js";

/**
 * The package as a user gets it: `npm pack`, installed into an empty folder, used there through its `routilux`
 * bin and its exports — and docs/getting-started.md, run line by line against that install.
 *
 * The install uses `--ignore-scripts`: npm would otherwise compile better-sqlite3 from source (its prebuilt
 * binaries are not reachable here), which takes minutes; so everything here runs with ROUTILUX_STORE=memory, which
 * is also the proof that the package works without the native module.
 */

const INSTALL_FLAGS = ["--prefer-offline", "--no-audit", "--no-fund", "--ignore-scripts"];
const MEMORY = { ROUTILUX_STORE: "memory", npm_config_update_notifier: "false" };

let root: string;
let tarball: string;
let install: string;

const npm = (args: string[], cwd: string, timeoutMs = 120_000) =>
  runProcess("npm", args, { cwd, env: MEMORY, timeoutMs });
const npx = (args: string[], cwd = install) => npm(["exec", "--no", "--", ...args], cwd);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "routilux-pack-"));
  // `npm pack` runs `prepack`, which builds dist/ with tsc.
  const packed = await npm(["pack", "--pack-destination", root, "--json"], REPO, 240_000);
  if (packed.code !== 0) throw new Error(`npm pack failed:\n${packed.stderr}`);
  tarball = join(root, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  install = join(root, "app");
  await mkdir(install);
  await writeFile(
    join(install, "package.json"),
    JSON.stringify({ name: "app", private: true, type: "module" }),
  );
  const installed = await npm(["install", tarball, ...INSTALL_FLAGS], install);
  if (installed.code !== 0) throw new Error(`npm install failed:\n${installed.stderr}`);
}, 360_000);
afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

test("the tarball holds the build, the bin and the templates — no sources, tests or source maps", () => {
  const files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  expect(files).toEqual(
    expect.arrayContaining([
      "package/package.json",
      "package/bin/routilux.js",
      "package/dist/index.js",
      "package/dist/index.d.ts",
      "package/dist/entry/cli.js",
      "package/templates/project/src/routines/greet.ts",
    ]),
  );
  const unexpected = files.filter(
    (file) =>
      file.endsWith(".map") ||
      /^package\/(src|test|bench|examples|scratch)\//.test(file) ||
      /\.test\.(js|d\.ts)$/.test(file) ||
      file.startsWith("package/dist/edge/"),
  );
  expect(unexpected).toEqual([]);
});

describe("in a fresh folder, with the user's own routine and flow", () => {
  beforeAll(async () => {
    await mkdir(join(install, "routines"), { recursive: true });
    await mkdir(join(install, "flows"), { recursive: true });
    await writeFile(join(install, "routines/double.ts"), DOUBLE_ROUTINE);
    await writeFile(join(install, "flows/double.yaml"), DOUBLE_FLOW);
  });

  test("`routilux run` runs the flow and prints the summary", async () => {
    const result = await npx([
      "routilux",
      "run",
      "flows/double.yaml",
      "--routines",
      "routines",
      "--params",
      '{"value": 4}',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/Summary: completed in [\d.]+ s/);
    expect(result.stdout).toContain('Shared data: {"results":[{"value":12}]}');
  });

  test("`routilux serve` serves the flow: a job started over HTTP completes", async () => {
    // The bin itself, as `npx routilux` finds it: `npm exec` does not pass SIGTERM on to the server.
    const bin = join(install, "node_modules/.bin/routilux");
    const server = new Child(bin, ["serve", "--routines", "routines", "--flows", "flows"], {
      cwd: install,
      env: { ...MEMORY, ROUTILUX_PORT: "0", ROUTILUX_HOST: "127.0.0.1" },
    });
    try {
      const [, url] = await server.waitFor(/Routilux listening on (http:\/\/\S+)/);
      const api = httpApi(url!);
      const job = await api.startJob("double", "start", { value: 5 });
      await api.waitForStatus(job.job_id, "completed");
      expect((await api.state(job.job_id)).shared_data).toEqual({ results: [{ value: 15 }] });
      expect(server.output).toContain("loaded routines Double from routines/double.ts");
    } finally {
      await server.stop();
    }
  });
});

describe("docs/getting-started.md", () => {
  const doc = readFileSync(join(REPO, "docs/getting-started.md"), "utf8");

  test("its routine and flow are the ones `routilux init` writes", async () => {
    const blocks = docBlocks(doc);
    const template = (file: string) => readFile(join(REPO, "templates/project", file), "utf8");
    expect(blocks.find((block) => block.lang === "ts" && !block.file)?.code).toBe(
      await template("src/routines/greet.ts"),
    );
    expect(blocks.find((block) => block.lang === "yaml")?.code).toBe(await template("flows/hello.yaml"));
  });

  test("every command runs, in order, and prints what the page says", async () => {
    const port = await freePort();
    const { steps, background } = await runDoc(doc, {
      cwd: install,
      env: { ...MEMORY, ROUTILUX_PORT: String(port), ROUTILUX: `http://127.0.0.1:${port}` },
      // routilux is not on the registry: the project gets it from the tarball under test instead.
      rewrite: (script) =>
        script.replace(/^npm install$/m, `npm install ${tarball} ${INSTALL_FLAGS.join(" ")}`),
      timeoutMs: 300_000,
    });
    for (const step of steps) expectDocumentedReply(step, step.output);

    const [create, check, terminal] = steps;
    expect(create!.output).toContain("Created a Routilux project in my-flows:");
    expect(check!.output).toContain("# pass 1");
    expect(terminal!.output).toContain("flows/hello.yaml: flow 'hello' is valid");
    expect(terminal!.output).toContain('Shared data: {"results":[{"greeting":"Hello, Ada!"}]}');
    // The dev server printed what the page shows under `npm run dev` (on the test's port), then the reload.
    const blocks = docBlocks(doc);
    const shown = blocks[blocks.findIndex((block) => block.background) + 1]!;
    expect(shown.lang).toBe("text");
    for (const line of shown.code.trim().split("\n"))
      expect(background).toContain(line.replace("20555", String(port)));
    expect(background).toContain("reloaded flow 'hello' from flows/hello.yaml");
    expect(await readdir(join(install, "my-flows"))).toContain("run-hello.ts");
  }, 300_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
