import { SELF } from "cloudflare:test";
import { describe, expect, test } from "vitest";
import { startJob } from "./support.js";

/**
 * The browser checks under workerd. A Worker binds no address, so any `Host` is served until
 * ROUTILUX_ALLOWED_HOSTS is set; the Origin check and JSON-only bodies apply as on Node and Bun.
 */

const BASE = "https://routilux.test";

describe("browser safety on Workers", () => {
  test("any Host is served while ROUTILUX_ALLOWED_HOSTS is unset", async () => {
    const response = await SELF.fetch("https://evil.example/api/health");
    expect(response.status).toBe(200);
  });

  test("a cross-site POST …/cancel and a cross-site WebSocket upgrade get 403; the job is not cancelled", async () => {
    const job = await startJob("linear_flow", { data: "x", count: 1 }, { pause_on_start: true });
    const origin = "https://evil.example";
    const cancel = await SELF.fetch(`${BASE}/api/jobs/${job.job_id}/cancel`, {
      method: "POST",
      headers: { origin, "content-type": "text/plain" },
      body: "{}",
    });
    expect(cancel.status).toBe(403);
    expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN");
    const upgrade = await SELF.fetch(`${BASE}/api/ws/jobs/${job.job_id}/monitor`, {
      headers: { origin, upgrade: "websocket" },
    });
    expect(upgrade.status).toBe(403);
    expect(upgrade.webSocket).toBeNull();
    const after = await SELF.fetch(`${BASE}/api/jobs/${job.job_id}`);
    expect(((await after.json()) as { status: string }).status).not.toBe("cancelled");
  });

  test("the Worker's own origin passes; a text/plain body gets 415", async () => {
    const own = await SELF.fetch(`${BASE}/api/jobs`, { headers: { origin: BASE } });
    expect(own.status).toBe(200);
    const text = await SELF.fetch(`${BASE}/api/jobs`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"flow_id":"linear_flow","entry_routine_id":"source"}',
    });
    expect(text.status).toBe(415);
  });
});
