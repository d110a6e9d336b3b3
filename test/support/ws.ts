// First, before any zod schema exists: @hono/zod-openapi adds `.openapi()` to schemas made after it loads, and the
// API's schemas extend core ones (`JobRecordSchema.openapi(...)`).
import "@hono/zod-openapi";
import { type ChildProcess, spawn } from "node:child_process";
import type { IncomingMessage } from "node:http";
import type { Socket } from "node:net";
import { expect } from "vitest";
import WebSocket from "ws";
import { silentLogger } from "../../src/api/logger.js";
import { jsonLinesAuditLog } from "../../src/api/middleware/audit.js";
import { nodeSocketAccess, WsHub } from "../../src/api/ws/index.js";
import { type Config, loadConfig } from "../../src/config.js";
import type { JobEvent } from "../../src/core/types.js";
import { startNodeServer } from "../../src/entry/node.js";
import { defaultRegistry } from "../../src/routines/index.js";
import { limitsFromConfig } from "../../src/service/limits.js";
import { MemoryStore } from "../../src/service/memory-store.js";
import { createServices, type Services } from "../../src/service/services.js";

/**
 * The vocabulary of the WebSocket tests: a server (in-process on Node, or the Bun entry as a child process), jobs
 * started over HTTP, and sockets whose messages can be awaited with bounded waits.
 */

// biome-ignore lint/suspicious/noExplicitAny: messages are JSON of many shapes; tests assert on their fields.
export type Message = Record<string, any>;

export interface WsTarget {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
  /** The in-process hub (Node target only): its counters show the send queues from inside. */
  hub?: WsHub;
  services?: Services;
  /** Headers every HTTP call sends (the API key when the target has one). */
  headers: Record<string, string>;
  close(): Promise<void>;
}

export interface NodeTargetOptions {
  config?: Partial<Config>;
  maxEventsPerJob?: number;
}

/** A real Node server on 127.0.0.1:0 through the Node entry, with its own hub so tests can read its counters. */
export async function startNodeTarget(options: NodeTargetOptions = {}): Promise<WsTarget> {
  const config: Config = {
    ...loadConfig({}),
    port: 0,
    host: "127.0.0.1",
    store: "memory",
    ...options.config,
  };
  const services = await createServices({
    store: new MemoryStore(),
    registry: defaultRegistry(),
    limits: {
      ...limitsFromConfig(config),
      maxEventsPerJob: options.maxEventsPerJob ?? config.maxEventsPerJob,
    },
    onError: () => {},
  });
  const hub = new WsHub({
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    config,
    access: nodeSocketAccess,
  });
  const server = await startNodeServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    ws: hub,
    logger: silentLogger,
    audit: jsonLinesAuditLog(() => {}),
    closeGraceMs: 200,
  });
  const key = config.apiKeys[0];
  return {
    url: server.url,
    wsUrl: server.url.replace(/^http/, "ws"),
    hub,
    services,
    headers: key ? { "x-api-key": key } : {},
    async close() {
      await server.close();
      await services.close();
    },
  };
}

/** The Bun entry (`bun src/entry/bun.ts`) as a child process on a free port; null when Bun cannot start. */
export async function startBunTarget(
  env: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<WsTarget | null> {
  const root = new URL("../..", import.meta.url).pathname;
  // The binary itself, not `npx bun`: a signal to npx would not reach the server, and killing npx would orphan it.
  const child: ChildProcess = spawn(`${root}node_modules/.bin/bun`, ["src/entry/bun.ts"], {
    cwd: root,
    env: {
      ...process.env,
      ROUTILUX_PORT: "0",
      ROUTILUX_STORE: "memory",
      ROUTILUX_LOG_LEVEL: "error",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const url = await new Promise<string | null>((resolve) => {
    let out = "";
    const timer = setTimeout(() => resolve(null), timeoutMs);
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.stderr?.resume();
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  if (!url) {
    child.kill("SIGKILL");
    return null;
  }
  const key = env.ROUTILUX_API_KEYS?.split(",")[0];
  return {
    url,
    wsUrl: url.replace(/^http/, "ws"),
    headers: key ? { "x-api-key": key } : {},
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}

// ---- HTTP ---------------------------------------------------------------------------------------------------------

export async function api(target: WsTarget, method: string, path: string, body?: unknown): Promise<Message> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...target.headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return text ? JSON.parse(text) : {};
}

export interface DemoJobOptions {
  flow_id?: string;
  data?: unknown;
  /** Items the demo source emits; a linear_flow item is 12 events (plus 2 for the job). */
  count?: number;
  delay_ms?: number;
  [field: string]: unknown;
}

/** Starts a demo flow job over HTTP (`POST /api/jobs`). */
export async function startJob(target: WsTarget, options: DemoJobOptions = {}): Promise<Message> {
  const { flow_id = "linear_flow", data = "hello", count = 1, delay_ms, ...extra } = options;
  return api(target, "POST", "/api/jobs", {
    flow_id,
    entry_routine_id: "source",
    entry_params: { data, count, ...(delay_ms === undefined ? {} : { delay_ms }) },
    ...extra,
  });
}

/** Every event of the job over HTTP (`GET /api/jobs/{id}/events`), page by page. */
export async function httpEvents(target: WsTarget, job_id: string, since = 0): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  let cursor = since;
  for (;;) {
    const page = await api(target, "GET", `/api/jobs/${job_id}/events?since=${cursor}&limit=1000`);
    events.push(...(page.events as JobEvent[]));
    if (page.events.length === 0 || cursor >= page.last_seq) return events;
    cursor = page.events.at(-1).seq;
    if (cursor >= page.last_seq) return events;
  }
}

/** Polls `reached` every 20 ms until it holds; bounded. */
export async function waitUntil(
  reached: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await reached())) {
    if (Date.now() > deadline) throw new Error(`condition still false after ${timeoutMs} ms: ${reached}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Polls the job until `reached(job)` holds; bounded. */
export async function waitForJob(
  target: WsTarget,
  job_id: string,
  reached: (job: Message) => boolean,
  timeoutMs = 15_000,
): Promise<Message> {
  let job: Message = {};
  await waitUntil(async () => {
    job = await api(target, "GET", `/api/jobs/${job_id}`);
    return reached(job);
  }, timeoutMs);
  return job;
}

/** Polls the job until it has finished; bounded. */
export const waitForJobEnd = (target: WsTarget, job_id: string, timeoutMs = 15_000): Promise<Message> =>
  waitForJob(target, job_id, (job) => ["completed", "failed", "cancelled"].includes(job.status), timeoutMs);

// ---- sockets ------------------------------------------------------------------------------------------------------

/**
 * A `ws` client that keeps every message it received. `nextMessage` and `collectUntil` read forward from a cursor,
 * so a test states what it expects next without racing the server.
 */
export class TestSocket {
  readonly messages: Message[] = [];
  /** Raw texts, to count bytes. */
  readonly texts: string[] = [];
  bytes = 0;
  #cursor = 0;
  #waiters: (() => void)[] = [];
  closed: { code: number; reason: string } | null = null;

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      const text = isBinary ? "" : data.toString();
      this.bytes += Buffer.byteLength(text);
      this.texts.push(text);
      this.messages.push(JSON.parse(text));
      this.#notify();
    });
    ws.on("close", (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      this.#notify();
    });
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  send(message: unknown): void {
    this.ws.send(typeof message === "string" ? message : JSON.stringify(message));
  }

  /** The first message after the cursor that matches; the cursor moves past it. */
  async nextMessage(predicate: (m: Message) => boolean = () => true, timeoutMs = 5000): Promise<Message> {
    const found = await this.collectUntil(predicate, timeoutMs);
    return found.at(-1)!;
  }

  /** Every message from the cursor up to and including the first that matches; the cursor moves past it. */
  async collectUntil(predicate: (m: Message) => boolean, timeoutMs = 5000): Promise<Message[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (let i = this.#cursor; i < this.messages.length; i++) {
        if (predicate(this.messages[i]!)) {
          const taken = this.messages.slice(this.#cursor, i + 1);
          this.#cursor = i + 1;
          return taken;
        }
      }
      if (this.closed)
        throw new Error(`socket closed (${this.closed.code} ${this.closed.reason}) before a match`);
      const left = deadline - Date.now();
      if (left <= 0) {
        const recent = this.messages.slice(-5).map((m) => JSON.stringify(m).slice(0, 200));
        throw new Error(`no matching message within ${timeoutMs} ms; last: ${recent.join(" | ")}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Messages from the cursor on that arrive within `ms` (for "nothing else came" checks); the cursor moves to the end. */
  async drainFor(ms: number): Promise<Message[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const rest = this.messages.slice(this.#cursor);
    this.#cursor = this.messages.length;
    return rest;
  }

  /** Resolves with the close code; bounded. */
  async waitClosed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`socket still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.ws.close();
    return this.waitClosed().then(() => undefined);
  }

  /** Stops reading at the TCP level: the kernel's buffers fill, then the server's socket buffer, then its queue. */
  stopReading(): void {
    this.#tcp().pause();
  }

  readAgain(): void {
    this.#tcp().resume();
  }

  #tcp(): Socket {
    return (this.ws as unknown as { _socket: Socket })._socket;
  }

  /** Drops the TCP connection without a close handshake (a network cut). */
  cut(): void {
    this.ws.terminate();
  }
}

/** Opens a socket; resolves once it is open (the first message may still be on its way). */
export function openSocket(
  url: string,
  options: WebSocket.ClientOptions = {},
  timeoutMs = 5000,
): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const socket = new TestSocket(ws);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`socket to ${url} did not open within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once("open", () => {
      clearTimeout(timer);
      resolve(socket);
    });
    ws.once("unexpected-response", (_request, response: IncomingMessage) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused with ${response.statusCode}`));
    });
    ws.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Tries to open a socket that the server must refuse; resolves with the HTTP status and body of the refusal. */
export function refusedUpgrade(
  url: string,
  options: WebSocket.ClientOptions = {},
  timeoutMs = 5000,
): Promise<{
  status: number;
  body: string;
  contentType: string | undefined;
  headers: IncomingMessage["headers"];
}> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer from ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.once("open", () => {
      clearTimeout(timer);
      ws.terminate();
      reject(new Error(`socket to ${url} opened; it should have been refused`));
    });
    ws.once("unexpected-response", (_request, response: IncomingMessage) => {
      let body = "";
      response.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      response.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: response.statusCode ?? 0,
          body,
          contentType: response.headers["content-type"],
          headers: response.headers,
        });
      });
    });
    ws.once("error", () => {
      // `unexpected-response` carries the answer; the error that may follow it says nothing more.
    });
  });
}

export const isEvent = (m: Message): boolean => typeof m.seq === "number" && typeof m.type === "string";
export const isType =
  (type: string) =>
  (m: Message): boolean =>
    m.type === type;

/**
 * Asserts that what a socket received for `job_id` covers seqs 1…`total` in order, each once: as events (plain or
 * flow-framed) or inside `events:dropped` ranges. Returns how many ranges there were.
 */
export function expectSeqsCovered(messages: Message[], job_id: string, total: number): number {
  let expected = 1;
  let ranges = 0;
  for (const m of messages) {
    if (m.job_id !== job_id) continue;
    if (m.type === "events:dropped") {
      expect(m.from_seq).toBe(expected);
      expect(m.to_seq).toBeGreaterThanOrEqual(m.from_seq);
      expected = m.to_seq + 1;
      ranges++;
    } else if (m.type === "flow_job_event" || isEvent(m)) {
      expect(m.type === "flow_job_event" ? m.event.seq : m.seq).toBe(expected);
      expected++;
    }
  }
  expect(expected).toBe(total + 1);
  return ranges;
}
