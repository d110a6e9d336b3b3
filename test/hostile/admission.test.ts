import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { bunAvailable, startServer, type Target, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/** ROUTILUX_MAX_ACTIVE_JOBS: one job more than the limit is refused with 429, and nothing is created. */

guardPrototype();

const TARGETS: Target[] = bunAvailable() ? ["node", "bun"] : ["node"];

describe.each(TARGETS)("on %s", (target) => {
  let api: TestServer;
  beforeAll(async () => {
    api = await startServer({ ROUTILUX_MAX_ACTIVE_JOBS: "2" }, { target });
  }, 30_000);
  afterAll(() => api?.close());

  test("one POST /api/jobs past ROUTILUX_MAX_ACTIVE_JOBS is 429 RATE_LIMITED with Retry-After; nothing is created", async () => {
    const held = [
      await api.startJob("linear_flow", { data: "a", count: 1 }, { pause_on_start: true }),
      await api.startJob("linear_flow", { data: "b", count: 1 }, { pause_on_start: true }),
    ];
    for (const job of held) await api.waitForStatus(job.job_id, "paused");
    const total = async () => (await api.request<{ total: number }>("GET", "/api/jobs?limit=1")).body.total;
    const before = await total();

    const refused = await api.request<{ error: { code: string; details: unknown } }>("POST", "/api/jobs", {
      flow_id: "linear_flow",
      entry_routine_id: "source",
      entry_params: { data: "c", count: 1 },
    });
    expect(refused.status, refused.text).toBe(429);
    expect(refused.body.error.code).toBe("RATE_LIMITED");
    expect(refused.body.error.details).toEqual({ limit: 2, active: 2 });
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await total()).toBe(before);
    await expectHealthy(api);

    // One ends: a start is accepted again.
    await api.request("POST", `/api/jobs/${held[0]!.job_id}/cancel`);
    await api.waitForStatus(held[0]!.job_id, "cancelled");
    const next = await api.startJob("linear_flow", { data: "d", count: 1 });
    const record: JobRecord = await api.waitForStatus(next.job_id, ["completed", "failed"]);
    expect(record.status).toBe("completed");
    await api.request("POST", `/api/jobs/${held[1]!.job_id}/cancel`);
  });
});
