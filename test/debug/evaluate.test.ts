import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { keyHashOf, sha256 } from "../../src/api/middleware/audit.js";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";

/**
 * `POST /api/jobs/{job_id}/debug/evaluate`: off unless enabled (403), only while paused (409), and every call
 * in the audit log (`ROUTILUX_AUDIT_LOG`, JSON lines) with time, key hash, job, expression, outcome, duration.
 */

const KEY = "debug-test-key";

type ErrorBody = { error: { code: string } };

/** The audit lines of evaluate calls; each must carry the whole record. */
function evaluations(api: DebugApi): Record<string, unknown>[] {
  const lines = api.auditLog().filter((line) => line.action === "debug.evaluate");
  for (const line of lines) {
    expect(Date.parse(String(line.time))).not.toBeNaN();
    expect(line).toHaveProperty("key_hash");
    expect(line).toHaveProperty("job_id");
    expect(line).toHaveProperty("expression");
    expect(typeof line.outcome).toBe("string");
    expect(line.duration).toBeGreaterThanOrEqual(0);
  }
  return lines;
}

describe("evaluate, disabled (the default)", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer();
  });
  afterAll(() => api?.close());

  test("is 403 FORBIDDEN even at a paused job, and the refusal is audited", async () => {
    const { job_id } = await api.startJob("linear_flow", { data: "hello" }, { pause_on_start: true });
    await api.waitForPause(job_id);
    const response = await api.request<ErrorBody>("POST", `/api/jobs/${job_id}/debug/evaluate`, {
      expression: "data",
    });
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe("FORBIDDEN");
    // Refused before the body is judged: a disabled feature answers the same to everyone.
    expect((await api.request("POST", `/api/jobs/${job_id}/debug/evaluate`)).status).toBe(403);

    expect(evaluations(api)).toEqual([
      expect.objectContaining({ job_id, expression: "data", outcome: "denied", key_hash: null }),
      expect.objectContaining({ job_id, expression: null, outcome: "denied" }),
    ]);
  });
});

describe("evaluate, enabled", () => {
  let api: DebugApi;

  beforeAll(async () => {
    api = await startDebugServer(
      { ROUTILUX_EXPR_EVAL_ENABLED: "true", ROUTILUX_API_KEYS: KEY },
      { apiKey: KEY },
    );
  });
  afterAll(() => api?.close());

  const evaluate = (job_id: string, body: unknown) =>
    api.request<ErrorBody>("POST", `/api/jobs/${job_id}/debug/evaluate`, body);

  test("on a running job is 409, and audited", async () => {
    const { job_id } = await api.startJob("linear_flow", { data: "x", count: 10, delay_ms: 50 });
    const response = await evaluate(job_id, { expression: "1 + 1" });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe("INVALID_STATE");
    expect(evaluations(api).at(-1)).toMatchObject({ job_id, expression: "1 + 1", outcome: "invalid_state" });
    await api.request("POST", `/api/jobs/${job_id}/cancel`);
  });

  test("each call at a paused job is audited with the key's hash, outcome and duration", async () => {
    const { job_id } = await api.startJob("linear_flow", { data: "hi" }, { pause_on_start: true });
    await api.waitForPause(job_id);
    const before = evaluations(api).length;

    expect((await evaluate(job_id, { expression: "upper(data)" })).body).toEqual({
      result: "HI",
      type: "string",
      error: null,
    });
    expect((await evaluate(job_id, { expression: "data.constructor" })).body).toMatchObject({
      result: null,
      type: null,
      error: expect.stringContaining("constructor"),
    });
    expect((await evaluate(job_id, { expression: "" })).status).toBe(422);
    expect((await evaluate(job_id, { expression: "data", routine_id: "sink" })).status).toBe(404);

    const keyHash = keyHashOf(await sha256(KEY));
    expect(evaluations(api).slice(before)).toEqual([
      expect.objectContaining({ job_id, expression: "upper(data)", outcome: "ok", key_hash: keyHash }),
      expect.objectContaining({
        job_id,
        expression: "data.constructor",
        outcome: "error",
        key_hash: keyHash,
      }),
      expect.objectContaining({ job_id, expression: "", outcome: "validation_error", key_hash: keyHash }),
      expect.objectContaining({
        job_id,
        expression: "data",
        outcome: "routine_not_found",
        key_hash: keyHash,
      }),
    ]);
    // The audit log names the key by hash only.
    expect(JSON.stringify(api.auditLog())).not.toContain(KEY);
  });

  test("an unknown job is 404 and audited", async () => {
    expect((await evaluate("no-such-job", { expression: "1" })).body.error.code).toBe("JOB_NOT_FOUND");
    expect(evaluations(api).at(-1)).toMatchObject({ job_id: "no-such-job", outcome: "job_not_found" });
  });
});
