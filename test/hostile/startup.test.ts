import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type Finished, REPO, routilux, runProcess } from "../cli/support.js";
import { bunAvailable } from "../support/server.js";
import { guardPrototype } from "./support.js";

/**
 * Start-up errors are one line: `routilux serve` (Node) and the Bun entry, started for real on a broken data
 * directory, a taken port or a bad variable, exit 1 with one line on stderr naming what is wrong and what to do.
 */

guardPrototype();

const BUN = join(REPO, "node_modules/.bin/bun");
const root = mkdtempSync(join(tmpdir(), "routilux-startup-"));
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(async () => {
  await new Promise((resolve) => busy.close(resolve));
  unlockAll();
  rmSync(root, { recursive: true, force: true });
});

/** A data directory of its own, holding `routilux.db` of random bytes: not a SQLite database. */
function corruptDataDir(): { dir: string; file: string } {
  const dir = mkdtempSync(join(root, "corrupt-"));
  const file = join(dir, "routilux.db");
  writeFileSync(file, randomBytes(64 * 1024));
  return { dir, file };
}

/**
 * An empty data directory no one may write into. Tests run as root, which ignores permission bits, so as root the
 * directory is made immutable (`chattr +i`: not even root may create a file in it); otherwise mode 0555 does it.
 * Null when neither is possible here.
 */
const locked: string[] = [];
function readOnlyDataDir(): string | null {
  const dir = mkdtempSync(join(root, "readonly-"));
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return dir;
  }
  if (spawnSync("chattr", ["+i", dir]).status !== 0) return null;
  locked.push(dir);
  return dir;
}
function unlockAll(): void {
  for (const dir of locked) spawnSync("chattr", ["-i", dir]);
}

/** A data directory path that runs through a regular file (ENOTDIR, root or not). */
function dataDirUnderAFile(): string {
  const file = join(root, "a-file");
  writeFileSync(file, "not a directory");
  return join(file, "data");
}

const serveEnv = (env: Record<string, string>): Record<string, string> => ({
  ROUTILUX_HOST: "127.0.0.1",
  ROUTILUX_PORT: "0",
  ROUTILUX_STORE: "sqlite",
  ROUTILUX_DATA_DIR: mkdtempSync(join(root, "data-")),
  ...env,
});

const nodeServe = (env: Record<string, string>): Promise<Finished> =>
  routilux(["serve"], { cwd: REPO, env: serveEnv(env), timeoutMs: 90_000 });

const bunServe = (env: Record<string, string>): Promise<Finished> =>
  runProcess(BUN, ["src/entry/bun.ts"], { cwd: REPO, env: serveEnv(env), timeoutMs: 60_000 });

/** Exit 1, exactly one line on stderr that says each of `says`, and no stack frame. */
function expectOneLine(result: Finished, says: (string | RegExp)[]): void {
  const lines = result.stderr.trimEnd().split("\n");
  expect({ code: result.code, lines }).toMatchObject({ code: 1, lines: [expect.any(String)] });
  for (const words of says) expect(lines[0]).toMatch(words);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

const TARGETS = [
  { name: "routilux serve (Node)", serve: nodeServe, skip: false },
  { name: "the Bun entry", serve: bunServe, skip: !bunAvailable() },
];

describe.each(TARGETS)("start-up errors are one line: $name", ({ serve, skip }) => {
  test.skipIf(skip)("a database file that is not a database: exit 1, one line naming the file", async () => {
    const { dir, file } = corruptDataDir();
    expectOneLine(await serve({ ROUTILUX_DATA_DIR: dir }), [
      file,
      /not a (SQLite )?database/,
      /ROUTILUX_DATA_DIR/,
    ]);
  });

  test.skipIf(skip)("a read-only data directory: exit 1, one line naming it", async (context) => {
    const dir = readOnlyDataDir();
    if (dir === null) return context.skip("no way to make a directory read-only here (chattr failed)");
    expectOneLine(await serve({ ROUTILUX_DATA_DIR: dir }), [dir, /ROUTILUX_DATA_DIR/]);
  });

  test.skipIf(skip)("a data directory that cannot be created: exit 1, one line naming it", async () => {
    const dir = dataDirUnderAFile();
    expectOneLine(await serve({ ROUTILUX_DATA_DIR: dir }), [dir, /ROUTILUX_DATA_DIR/]);
  });

  test.skipIf(skip)("a port in use: exit 1, one line naming the port", async () => {
    expectOneLine(await serve({ ROUTILUX_PORT: String(busyPort) }), [
      `${busyPort}`,
      /in use/,
      /ROUTILUX_PORT/,
    ]);
  });

  test.skipIf(skip)("a bad variable: exit 1, one line naming the variable", async () => {
    expectOneLine(await serve({ ROUTILUX_PORT: "abc" }), [/ROUTILUX_PORT/, /"abc"/]);
  });
});
