import { abortAllDurableObjects } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Breakpoint } from "../../src/core/breakpoints.js";
import { api, startJob, waitForStatus } from "./support.js";

/** The breakpoint limit and the calls on jobs that are not paused, answered by a job's Durable Object as on Node. */

type ErrorBody = { error: { code: string; details: Record<string, unknown> } };
type BreakpointList = { breakpoints: Breakpoint[]; total: number };

describe("breakpoints in a Durable Object", () => {
  it("breakpoints given at job start past ROUTILUX_MAX_BREAKPOINTS_PER_JOB: 422 LIMIT_EXCEEDED, nothing created", async () => {
    const before = (await api<{ total: number }>("GET", "/api/jobs")).body.total;
    const refused = await api<ErrorBody>("POST", "/api/jobs", {
      flow_id: "linear_flow",
      entry_routine_id: "source",
      entry_params: { data: "x" },
      breakpoints: Array.from({ length: 101 }, () => ({ type: "routine", routine_id: "sink" })),
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({ code: "LIMIT_EXCEEDED", details: { limit: 100 } });
    expect((await api<{ total: number }>("GET", "/api/jobs")).body.total).toBe(before);
  });

  it("one breakpoint past the limit on a live job is 422 LIMIT_EXCEEDED", async () => {
    const job = await startJob(
      "linear_flow",
      { data: "x", count: 2 },
      {
        pause_on_start: true,
        breakpoints: Array.from({ length: 100 }, () => ({ type: "routine", routine_id: "sink" })),
      },
    );
    const refused = await api<ErrorBody>("POST", `/api/jobs/${job.job_id}/breakpoints`, {
      type: "routine",
      routine_id: "sink",
    });
    expect(refused.status).toBe(422);
    expect(refused.body.error).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: 100, breakpoints: 101 },
    });
    await api("POST", `/api/jobs/${job.job_id}/cancel`);
  });

  it("a finished job takes breakpoints (201), lists, toggles and deletes them, before and after its object restarts", async () => {
    const job = await startJob("linear_flow", { data: "x", count: 2 });
    await waitForStatus(job.job_id, "completed");
    for (const restarted of [false, true]) {
      if (restarted) await abortAllDurableObjects();
      const created = await api<Breakpoint>("POST", `/api/jobs/${job.job_id}/breakpoints`, {
        type: "routine",
        routine_id: "sink",
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ job_id: job.job_id, enabled: true, hit_count: 0 });
      const path = `/api/jobs/${job.job_id}/breakpoints/${created.body.breakpoint_id}`;
      const listed = await api<BreakpointList>("GET", `/api/jobs/${job.job_id}/breakpoints`);
      expect(listed.body.breakpoints).toContainEqual(created.body);
      expect((await api<Breakpoint>("PUT", `${path}?enabled=false`)).body.enabled).toBe(false);
      expect((await api("DELETE", path)).status).toBe(204);
      expect((await api<ErrorBody>("DELETE", path)).body.error.code).toBe("BREAKPOINT_NOT_FOUND");
    }
  });

  it("GET debug/variables on a job that is not paused is 200 and empty; writes stay 409", async () => {
    const job = await startJob("linear_flow", { data: "x", count: 2 });
    await waitForStatus(job.job_id, "completed");
    const empty = { job_id: job.job_id, routine_id: null, variables: {} };
    expect(await api("GET", `/api/jobs/${job.job_id}/debug/variables`)).toEqual({ status: 200, body: empty });
    expect((await api("PUT", `/api/jobs/${job.job_id}/debug/variables/data`, { value: 1 })).status).toBe(409);
    expect((await api("POST", `/api/jobs/${job.job_id}/debug/step-over`)).status).toBe(409);
    await abortAllDurableObjects();
    expect(await api("GET", `/api/jobs/${job.job_id}/debug/variables`)).toEqual({ status: 200, body: empty });
  });
});
