import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jsonLogger } from "../../../src/api/logger.js";
import { loadConfig } from "../../../src/config.js";
import type { JobEvent } from "../../../src/core/types.js";
import { startNodeServer } from "../../../src/entry/node.js";
import { defaultRegistry } from "../../../src/routines/index.js";
import type { DebugSession } from "../../../src/service/debug-service.js";
import { MemoryStore } from "../../../src/service/memory-store.js";
import { createServices } from "../../../src/service/services.js";
import type { Store } from "../../../src/service/store.js";
import { type ApiClient, apiClient } from "../../support/server.js";

/**
 * A real Node server on 127.0.0.1:0 for the debugger's tests, driven over HTTP, and the words they speak in
 * (`startJob`, `waitForPause`, `evaluate`, `deliveries`). Unlike test/support/server.ts it wires the routine
 * registry (for dry-run) and keeps the entry's own audit sink, pointed at a temp file through
 * `ROUTILUX_AUDIT_LOG`, so the tests read the audit log the way an operator would.
 */

export type PausedSession = Extract<DebugSession, { session_id: string }>;

/** `startJob`'s `extra` carries `breakpoints` and `pause_on_start`. */
export interface DebugApi extends ApiClient {
  url: string;
  /** The session once the job is paused; fails when the job ends or stays running. */
  waitForPause(job_id: string): Promise<PausedSession>;
  session(job_id: string): Promise<DebugSession>;
  /** `POST …/debug/evaluate`; the body of a 200. */
  evaluate(job_id: string, expression: string, extra?: Record<string, unknown>): Promise<unknown>;
  /** `POST …/debug/<verb>`, expecting 200. */
  control(job_id: string, verb: "resume" | "step-over" | "step-into"): Promise<unknown>;
  /** The payload (or routine state) `GET …/debug/variables` shows. */
  variables(job_id: string, routine_id?: string): Promise<Record<string, unknown>>;
  /** Every event of the job so far, in seq order. */
  events(job_id: string): Promise<JobEvent[]>;
  /** The routine of each `slot_called`, in order: the order in which deliveries ran. */
  deliveries(job_id: string): Promise<string[]>;
  /** The routines delivered to between one pause and the next: `[[before first pause], [after it], …]`. */
  deliveriesBetweenPauses(job_id: string): Promise<string[][]>;
  /** What the sink collected (`shared_data.results`). */
  results(job_id: string): Promise<unknown[]>;
  /** The audit log's lines so far, parsed. */
  auditLog(): Record<string, unknown>[];
  close(): Promise<void>;
}

export interface DebugServerOptions {
  /** A store the test wraps or seeds; a fresh MemoryStore otherwise. */
  store?: Store;
  /** Sent as `X-API-Key` on every request (start the server with `ROUTILUX_API_KEYS` to require it). */
  apiKey?: string;
}

const WAIT_MS = 10_000;
const POLL_MS = 10;

export async function startDebugServer(
  env: Record<string, string> = {},
  options: DebugServerOptions = {},
): Promise<DebugApi> {
  const directory = mkdtempSync(join(tmpdir(), "routilux-debug-"));
  const auditFile = join(directory, "audit.jsonl");
  const config = loadConfig({
    ROUTILUX_PORT: "0",
    ROUTILUX_HOST: "127.0.0.1",
    ROUTILUX_STORE: "memory",
    ROUTILUX_AUDIT_LOG: auditFile,
    ...env,
  });
  const services = await createServices({
    store: options.store ?? new MemoryStore(),
    registry: defaultRegistry(),
  });
  const server = await startNodeServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    registry: services.registry,
    logger: jsonLogger({ write: () => {} }),
    closeGraceMs: 1000,
  });

  const client = apiClient(server.url, options.apiKey ? { "x-api-key": options.apiKey } : {});
  const ok = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await client.request<T>(method, path, body);
    if (response.status !== 200) throw new Error(`${method} ${path}: ${response.status} ${response.text}`);
    return response.body;
  };

  /** Polls `read` until `done` holds; bounded, never a guessed sleep. */
  const until = async <T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> => {
    const deadline = Date.now() + WAIT_MS;
    let last: T | undefined;
    while (Date.now() < deadline) {
      last = await read();
      if (done(last)) return last;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    throw new Error(`${what} within ${WAIT_MS} ms (last: ${JSON.stringify(last)})`);
  };

  const api: DebugApi = {
    ...client,
    url: server.url,
    async waitForPause(job_id) {
      const session = await until(
        `job ${job_id} not paused`,
        () => api.session(job_id),
        (s) => s.status === "paused" || s.status === "no_session",
      );
      if (session.status !== "paused") throw new Error(`job ${job_id} ended without pausing`);
      return session as PausedSession;
    },
    session: (job_id) => ok<DebugSession>("GET", `/api/jobs/${job_id}/debug/session`),
    evaluate: (job_id, expression, extra = {}) =>
      ok("POST", `/api/jobs/${job_id}/debug/evaluate`, { expression, ...extra }),
    control: (job_id, verb) => ok("POST", `/api/jobs/${job_id}/debug/${verb}`),
    async variables(job_id, routine_id) {
      const query = routine_id === undefined ? "" : `?routine_id=${routine_id}`;
      const body = await ok<{ variables: Record<string, unknown> }>(
        "GET",
        `/api/jobs/${job_id}/debug/variables${query}`,
      );
      return body.variables;
    },
    async events(job_id) {
      return (await ok<{ events: JobEvent[] }>("GET", `/api/jobs/${job_id}/events?limit=10000`)).events;
    },
    async deliveries(job_id) {
      return (await api.events(job_id))
        .filter((e) => e.type === "slot_called")
        .map((e) => String(e.data.routine_id));
    },
    async deliveriesBetweenPauses(job_id) {
      const runs: string[][] = [[]];
      for (const event of await api.events(job_id)) {
        if (event.type === "slot_called") runs.at(-1)!.push(String(event.data.routine_id));
        if (event.type === "job_paused") runs.push([]);
      }
      return runs;
    },
    async results(job_id) {
      const state = await ok<{ shared_data: { results?: unknown[] } }>("GET", `/api/jobs/${job_id}/state`);
      return state.shared_data.results ?? [];
    },
    auditLog() {
      let text = "";
      try {
        text = readFileSync(auditFile, "utf8");
      } catch {
        return [];
      }
      return text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async close() {
      await server.close();
      await services.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
  return api;
}
