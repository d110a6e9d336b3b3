import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { jsonLogger, type Logger } from "../../src/api/logger.js";
import type { AuditLog, AuditRecord } from "../../src/api/middleware/audit.js";
import { loadConfig } from "../../src/config.js";
import type { JobRecord, JobStatus } from "../../src/core/types.js";
import { heapLimitBytes } from "../../src/entry/heap-limit.js";
import { startNodeServer } from "../../src/entry/node.js";
import { nodeOutbound } from "../../src/entry/node-outbound.js";
import { defaultRegistry } from "../../src/routines/index.js";
import { limitsFromConfig } from "../../src/service/limits.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import { createServices } from "../../src/service/services.js";
import type { Store } from "../../src/service/store.js";

/**
 * A real Routilux server on 127.0.0.1 and a port of its own, driven over HTTP with `fetch`, plus the vocabulary
 * tests speak in (`startJob`, `waitForStatus`). `node` runs in this process over a memory store (or one the test
 * seeds); `bun` is `src/entry/bun.ts` in a child process, with a memory store.
 */

export type Target = "node" | "bun";

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, else the text. */
  body: T;
  /** Raw bytes on the wire were decompressed by fetch; `Content-Encoding` still tells what was sent. */
  text: string;
}

export interface StartServerOptions {
  target?: Target;
  /** A store the test seeded (node only). */
  store?: Store;
  /** Receives the server's log lines (node only); silent by default. */
  logger?: Logger;
}

/** The vocabulary of HTTP tests, for a server at some URL. */
export interface ApiClient {
  request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ApiResponse<T>>;
  startJob(
    flow_id: string,
    entry_params?: Record<string, unknown>,
    extra?: Record<string, unknown>,
  ): Promise<JobRecord>;
  waitForStatus(job_id: string, status: JobStatus | JobStatus[], timeoutMs?: number): Promise<JobRecord>;
}

export interface TestServer extends ApiClient {
  target: Target;
  url: string;
  /** Audit entries written so far (node only). */
  audit: AuditRecord[];
  close(): Promise<void>;
}

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const BUN = fileURLToPath(new URL("../../node_modules/.bin/bun", import.meta.url));

export async function startServer(
  env: Record<string, string> = {},
  options: StartServerOptions = {},
): Promise<TestServer> {
  const running = options.target === "bun" ? await startBun(env) : await startNode(env, options);
  return { ...running, ...apiClient(running.url) };
}

interface Running {
  target: Target;
  url: string;
  audit: AuditRecord[];
  close(): Promise<void>;
}

async function startNode(env: Record<string, string>, options: StartServerOptions): Promise<Running> {
  const config = loadConfig({
    ROUTILUX_PORT: "0",
    ROUTILUX_HOST: "127.0.0.1",
    ROUTILUX_STORE: "memory",
    ...env,
  });
  const services = await createServices({
    store: options.store ?? new MemoryStore(),
    registry: defaultRegistry({ outbound: nodeOutbound(config) }),
    limits: limitsFromConfig(config, heapLimitBytes()),
  });
  const audit: AuditRecord[] = [];
  const auditLog: AuditLog = { record: (entry) => audit.push(entry) };
  const server = await startNodeServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    registry: services.registry,
    logger: options.logger ?? jsonLogger({ write: () => {} }),
    audit: auditLog,
    closeGraceMs: 1000,
  });
  return {
    target: "node",
    url: server.url,
    audit,
    async close() {
      await server.close();
      await services.close();
    },
  };
}

/** True when the Bun binary runs here; the Bun target is skipped (loudly) otherwise. */
export function bunAvailable(): boolean {
  const probe = spawnSync(BUN, ["--version"], { encoding: "utf8", timeout: 10_000 });
  if (probe.status === 0) return true;
  console.error(
    `\n!!! Bun is not runnable here (${probe.error?.message ?? probe.stderr?.trim() ?? `exit ${probe.status}`}); ` +
      "the Bun target of the API tests is SKIPPED !!!\n",
  );
  return false;
}

async function startBun(env: Record<string, string>): Promise<Running> {
  const child = spawn(BUN, ["src/entry/bun.ts"], {
    cwd: REPO,
    env: { ...process.env, ROUTILUX_PORT: "0", ROUTILUX_HOST: "127.0.0.1", ROUTILUX_STORE: "memory", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => fail(new Error("no 'listening on' line within 15 s")), 15_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`bun entry did not start: ${error.message}\n${stderr}`));
    };
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`exited with ${code}`)));
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /^listening on (http:\/\/\S+)$/m.exec(stdout);
      if (match) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolve(match[1]!);
      }
    });
  });
  return { target: "bun", url, audit: [], close: () => stopChild(child) };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Requests to `url` with `headers` on each (an API key, say), and the words tests speak in. */
export function apiClient(url: string, headers: Record<string, string> = {}): ApiClient {
  const request = async <T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<ApiResponse<T>> => {
    // Like the Overseer UI: Content-Type: application/json on every request, bodyless ones included.
    const response = await fetch(url + path, {
      method,
      headers: { "content-type": "application/json", ...headers, ...extraHeaders },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await response.text();
    const isJson = response.headers.get("content-type")?.includes("json") && text !== "";
    return {
      status: response.status,
      headers: response.headers,
      body: (isJson ? JSON.parse(text) : text) as T,
      text,
    };
  };

  return {
    request,
    async startJob(flow_id, entry_params = { data: "hello", count: 1 }, extra = {}) {
      const created = await request<JobRecord>("POST", "/api/jobs", {
        flow_id,
        entry_routine_id: "source",
        entry_params,
        ...extra,
      });
      if (created.status !== 201) throw new Error(`start ${flow_id}: ${created.status} ${created.text}`);
      return created.body;
    },
    async waitForStatus(job_id, status, timeoutMs = 10_000) {
      const wanted = new Set(Array.isArray(status) ? status : [status]);
      const deadline = Date.now() + timeoutMs;
      let last: JobRecord | undefined;
      while (Date.now() < deadline) {
        const { body } = await request<JobRecord>("GET", `/api/jobs/${job_id}`);
        last = body;
        if (wanted.has(body.status)) return body;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(
        `job ${job_id} not ${[...wanted].join("|")} within ${timeoutMs} ms (last: ${last?.status})`,
      );
    },
  };
}
