import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { nodeWithTypeScript, REPO, runProcess } from "../cli/support.js";
import { startServer, type TestServer } from "../support/server.js";

/** examples/typed-client.ts type-checks against AppType and drives a job end to end on a real server. */

let api: TestServer;
beforeAll(async () => {
  api = await startServer();
});
afterAll(async () => {
  await api?.close();
});

test("the example type-checks against the routes' types", async () => {
  const tsc = join(REPO, "node_modules/typescript/bin/tsc");
  const result = await runProcess(process.execPath, [tsc, "--noEmit", "-p", "examples/tsconfig.json"], {
    cwd: REPO,
    timeoutMs: 240_000,
  });
  expect(result.stdout + result.stderr).toBe("");
  expect(result.code).toBe(0);
}, 240_000);

test("the example starts a job, streams its events, polls its status and reads its results", async () => {
  const result = await runProcess(
    process.execPath,
    nodeWithTypeScript([join(REPO, "examples/typed-client.ts"), api.url]),
    { cwd: REPO },
  );
  expect(result.stderr).toBe("");
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^started job \S+$/m);
  expect(result.stdout).toMatch(/^socket: job_started \(seq 1\)$/m);
  expect(result.stdout).toMatch(/^socket: job_completed \(seq \d+\)$/m);
  expect(result.stdout).toContain("status: completed");
  expect(result.stdout).toContain(
    'results: [{"result":"TYPED","index":0},{"result":"TYPED","index":1},{"result":"TYPED","index":2}]',
  );
});
