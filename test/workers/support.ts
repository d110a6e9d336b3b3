import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import type { BreakpointCreate } from "../../src/core/breakpoints.js";
import type { JobEvent, JobRecord } from "../../src/core/types.js";

/** The Worker under test, over its real bindings: requests go through `createApp` and into the objects. */
export async function api<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const response = await SELF.fetch(`https://routilux.test${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === "" ? null : JSON.parse(text)) as T };
}

export async function startJob(
  flow_id: string,
  entry_params: Record<string, unknown>,
  debug: { breakpoints?: BreakpointCreate[]; pause_on_start?: boolean } = {},
): Promise<JobRecord> {
  const { status, body } = await api<JobRecord>("POST", "/api/jobs", {
    flow_id,
    entry_routine_id: "source",
    entry_params,
    ...debug,
  });
  expect(status).toBe(201);
  return body;
}

/** Polls until `check` returns a value; bounded, never a guess of how long something takes. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function waitForStatus(job_id: string, status: JobRecord["status"]): Promise<JobRecord> {
  return eventually(async () => {
    const { body } = await api<JobRecord>("GET", `/api/jobs/${job_id}`);
    return body.status === status ? body : undefined;
  });
}

export async function allEvents(job_id: string): Promise<JobEvent[]> {
  const { status, body } = await api<{ events: JobEvent[] }>(
    "GET",
    `/api/jobs/${job_id}/events?since=0&limit=10000`,
  );
  expect(status).toBe(200);
  return body.events;
}

/** A flow of our own, so that list filters see only this test's jobs. */
export async function createLinearFlow(flow_id: string): Promise<void> {
  const { status } = await api("POST", "/api/flows", {
    flow_id,
    dsl_dict: {
      routines: {
        source: { class: "DemoSource" },
        transformer: { class: "DemoTransformer" },
        sink: { class: "DemoSink" },
      },
      connections: [
        { from: "source.output", to: "transformer.input" },
        { from: "transformer.output", to: "sink.input" },
      ],
    },
  });
  expect(status).toBe(201);
}
