import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startServer, type TestServer } from "../support/server.js";

/**
 * docs/api.md stays true: its `sh` blocks run in order against a fresh server, and any request that is not 2xx
 * (or any jq that cannot read the reply) fails the test.
 */

const run = promisify(execFile);
const doc = readFileSync(new URL("../../docs/api.md", import.meta.url), "utf8");
const blocks = [...doc.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);

let api: TestServer;
beforeAll(async () => {
  api = await startServer();
});
afterAll(async () => {
  await api?.close();
});

test("every sh example of docs/api.md succeeds", async () => {
  expect(blocks.length).toBeGreaterThanOrEqual(5);
  const script = [
    "set -euo pipefail",
    // Fail on any HTTP error, showing its body.
    'curl() { command curl --fail-with-body -sS "$@"; }',
    ...blocks,
  ].join("\n");
  const { stdout } = await run("bash", ["-c", script], {
    env: { ...process.env, ROUTILUX: api.url },
    timeout: 60_000,
  });
  expect(stdout).toContain('"healthy"');
  expect(stdout).toContain("3.1.0");
  expect(stdout).toContain('"completed"');
  expect(stdout).toContain('"status":"cancelled"');
  // The refusals of "Browsers, hosts and origins": a foreign Origin, then a text/plain body.
  expect(stdout).toContain("403\n415\n");
});
