import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";

/** The debugger's routes as clients see them: in the OpenAPI document, and answering bodyless requests. */

const DEBUG_OPERATIONS = [
  "post /api/jobs/{job_id}/breakpoints",
  "get /api/jobs/{job_id}/breakpoints",
  "put /api/jobs/{job_id}/breakpoints/{breakpoint_id}",
  "delete /api/jobs/{job_id}/breakpoints/{breakpoint_id}",
  "get /api/jobs/{job_id}/debug/session",
  "post /api/jobs/{job_id}/debug/resume",
  "post /api/jobs/{job_id}/debug/step-over",
  "post /api/jobs/{job_id}/debug/step-into",
  "get /api/jobs/{job_id}/debug/variables",
  "put /api/jobs/{job_id}/debug/variables/{name}",
  "get /api/jobs/{job_id}/debug/call-stack",
  "post /api/jobs/{job_id}/debug/evaluate",
  "post /api/flows/{flow_id}/dry-run",
];

interface OpenApiDoc {
  paths: Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

describe("the debugger's HTTP surface", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer();
  });
  afterAll(() => api?.close());

  test("every operation is in the OpenAPI document, tagged debug, with its error responses", async () => {
    const doc = (await api.request<OpenApiDoc>("GET", "/openapi.json")).body;
    for (const operation of DEBUG_OPERATIONS) {
      const [method, path] = operation.split(" ") as [string, string];
      const described = doc.paths[path]?.[method];
      expect(described, operation).toBeDefined();
      expect(described!.tags).toContain("debug");
      if (method !== "get") expect(Object.keys(described!.responses), operation).toContain("422");
    }
    for (const name of [
      "Breakpoint",
      "BreakpointCreate",
      "DebugSession",
      "Evaluation",
      "CallStack",
      "DryRunResult",
    ]) {
      expect(doc.components.schemas, name).toHaveProperty(name);
    }
    expect(Object.keys(doc.components.schemas.StartJob!.properties!)).toEqual(
      expect.arrayContaining(["breakpoints", "pause_on_start"]),
    );
  });

  test("bodyless control calls sent with Content-Type: application/json work", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello", count: 2 },
      { pause_on_start: true },
    );
    await api.waitForPause(job_id);
    for (const verb of ["step-over", "step-into", "resume"] as const) {
      const response = await api.request("POST", `/api/jobs/${job_id}/debug/${verb}`, "");
      expect(response.status, `${verb}: ${response.text}`).toBe(200);
      if (verb !== "resume") await api.waitForPause(job_id);
    }
    await api.waitForStatus(job_id, "completed");
  });

  // `curl -X PUT '…?enabled=false'` sends no Content-Type and no body: a route with an optional body must cope.
  test("a bodyless PUT without Content-Type toggles a breakpoint", async () => {
    const { job_id } = await api.startJob(
      "linear_flow",
      { data: "hello" },
      { pause_on_start: true, breakpoints: [{ type: "routine", routine_id: "sink" }] },
    );
    await api.waitForPause(job_id);
    const [breakpoint] = (
      await api.request<{ breakpoints: { breakpoint_id: string }[] }>(
        "GET",
        `/api/jobs/${job_id}/breakpoints`,
      )
    ).body.breakpoints;
    const response = await fetch(
      `${api.url}/api/jobs/${job_id}/breakpoints/${breakpoint!.breakpoint_id}?enabled=false`,
      {
        method: "PUT",
      },
    );
    expect(response.status).toBe(200);
  });
});
