import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { JobRecord, JobStatus } from "../../src/core/types.js";

/**
 * The vocabulary of the CLI tests: run `routilux` from this checkout's sources (through tsx, no build), in a
 * temporary project where `import … from "routilux"` resolves to those same sources; keep a server running as a
 * child process and read what it prints; drive it over HTTP.
 */

export const REPO = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(REPO, "src/entry/cli.ts");
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href;

/** `node <args>` with TypeScript enabled, as `routilux/register` does for an installed package. */
export const nodeWithTypeScript = (args: readonly string[]): string[] => ["--import", TSX_LOADER, ...args];

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

/** Runs `command` to its end. */
export async function runProcess(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<Finished> {
  const child = new Child(command, args, options);
  const timer = setTimeout(() => child.process.kill("SIGKILL"), options.timeoutMs ?? 60_000);
  const [code] = (await once(child.process, "exit")) as [number | null];
  await child.drained;
  clearTimeout(timer);
  return { code, stdout: child.stdout, stderr: child.stderr };
}

/** `routilux <args>` from source, to its end. */
export const routilux = (args: readonly string[], options: RunOptions): Promise<Finished> =>
  runProcess(process.execPath, nodeWithTypeScript([CLI, ...args]), options);

/** A process that keeps running (a server), whose output the test reads as it comes. */
export class Child {
  readonly process: ChildProcess;
  stdout = "";
  stderr = "";
  readonly drained: Promise<unknown>;
  readonly #waiters = new Set<() => void>();

  constructor(command: string, args: readonly string[], options: RunOptions) {
    this.process = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.process.stdout!.on("data", (chunk: Buffer) => this.#append("stdout", chunk));
    this.process.stderr!.on("data", (chunk: Buffer) => this.#append("stderr", chunk));
    this.drained = Promise.all([once(this.process.stdout!, "end"), once(this.process.stderr!, "end")]);
  }

  /** Output so far, stdout then stderr. */
  get output(): string {
    return `${this.stdout}${this.stderr}`;
  }

  /** Resolves with the first match of `pattern` in the output (past or future); rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(this.output);
        if (match) {
          done();
          resolve(match);
        } else if (this.process.exitCode !== null) {
          done();
          reject(new Error(`exited (${this.process.exitCode}) before printing ${pattern}:\n${this.output}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.output}`));
      }, timeoutMs);
      const onExit = () => setImmediate(check);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        this.process.off("exit", onExit);
      };
      this.#waiters.add(check);
      this.process.on("exit", onExit);
      check();
    });
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves with the exit code. */
  async stop(): Promise<number | null> {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      const exited = once(this.process, "exit");
      this.process.kill("SIGTERM");
      const timer = setTimeout(() => this.process.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    return this.process.exitCode;
  }

  #append(stream: "stdout" | "stderr", chunk: Buffer): void {
    this[stream] += chunk.toString();
    for (const check of [...this.#waiters]) check();
  }
}

/** `routilux serve <args>` from source on a free port with a memory store; resolves once it listens. */
export async function serve(
  args: readonly string[],
  options: RunOptions,
): Promise<{ child: Child; url: string }> {
  const child = new Child(process.execPath, nodeWithTypeScript([CLI, "serve", ...args]), {
    ...options,
    env: { ROUTILUX_PORT: "0", ROUTILUX_HOST: "127.0.0.1", ROUTILUX_STORE: "memory", ...options.env },
  });
  const [, url] = await child.waitFor(/Routilux listening on (http:\/\/\S+)/, options.timeoutMs);
  return { child, url: url! };
}

export interface TempProject {
  dir: string;
  path(relative: string): string;
  write(relative: string, text: string): Promise<string>;
  remove(): Promise<void>;
}

/**
 * A temporary folder in which `routilux` is "installed" from this checkout's sources: `import … from "routilux"`,
 * `routilux/register` and the `routilux` bin all work, without a build.
 */
export async function tempProject(): Promise<TempProject> {
  const dir = await mkdtemp(join(tmpdir(), "routilux-cli-"));
  const project: TempProject = {
    dir,
    path: (relative) => join(dir, relative),
    async write(relative, text) {
      const file = join(dir, relative);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, text);
      return file;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
  await linkRoutiluxFromSource(project);
  return project;
}

async function linkRoutiluxFromSource(project: TempProject): Promise<void> {
  const pkg = project.path("node_modules/routilux");
  await mkdir(pkg, { recursive: true });
  // Node resolves the symlink to this checkout's src/, so the user's routines and the CLI share one module graph.
  await symlink(join(REPO, "src"), join(pkg, "src"), "dir");
  await project.write(
    "node_modules/routilux/package.json",
    JSON.stringify({
      name: "routilux",
      type: "module",
      exports: { ".": "./src/index.ts", "./register": "./register.js" },
    }),
  );
  // The real routilux/register is compiled JavaScript; from sources, tsx's own loader takes its place.
  await project.write("node_modules/routilux/register.js", `import ${JSON.stringify(TSX_LOADER)};\n`);
  await project.write(
    "node_modules/.bin/routilux",
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} --import ${JSON.stringify(TSX_LOADER)} ${JSON.stringify(CLI)} "$@"\n`,
  );
  await chmod(project.path("node_modules/.bin/routilux"), 0o755);
}

/** The few HTTP calls the CLI tests make against a server they started. */
export function httpApi(url: string) {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(url + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  return {
    call,
    startJob: (flow_id: string, entry_routine_id: string, entry_params: Record<string, unknown> = {}) =>
      call<JobRecord>("POST", "/api/jobs", { flow_id, entry_routine_id, entry_params }),
    state: (job_id: string) =>
      call<{ shared_data: Record<string, unknown> }>("GET", `/api/jobs/${job_id}/state`),
    async waitForStatus(job_id: string, status: JobStatus, timeoutMs = 15_000): Promise<JobRecord> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const job = await call<JobRecord>("GET", `/api/jobs/${job_id}`);
        if (job.status === status) return job;
        if (Date.now() > deadline)
          throw new Error(`job ${job_id} not ${status} within ${timeoutMs} ms: ${job.status}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
