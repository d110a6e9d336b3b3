import { expect, test } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { api, eventually, startJob } from "./support.js";

/**
 * HttpFetch on Workers: Cloudflare's `fetch` resolves names itself, so the policy checks the URL. Private
 * literals are refused; `ROUTILUX_FETCH_*` bindings (vitest.workers.config.ts allows 127.0.0.1:9) reach it.
 */

const FLOW = {
  flow_id: "outbound_probe",
  routines: {
    source: { class: "Start" },
    fetch: { class: "HttpFetch", config: { url: "{{target}}", on_error: "fail" } },
    sink: { class: "Sink" },
  },
  connections: [
    { from: "source.output", to: "fetch.input" },
    { from: "fetch.response", to: "sink.input" },
  ],
};

async function fetchThrough(target: string): Promise<JobRecord> {
  const created = await api("POST", "/api/flows", { dsl: JSON.stringify(FLOW) });
  expect([201, 409]).toContain(created.status);
  const job = await startJob("outbound_probe", { target });
  return eventually(async () => {
    const { body } = await api<JobRecord>("GET", `/api/jobs/${job.job_id}`);
    return body.status === "failed" || body.status === "completed" ? body : undefined;
  });
}

test.each([
  ["http://127.0.0.1:8080/admin", "127.0.0.1"],
  ["http://169.254.169.254/latest/meta-data/", "169.254.169.254"],
  ["http://[::ffff:10.0.0.1]/", "[::ffff:a00:1]"],
  ["http://localhost:8080/", "localhost"],
])("a private destination (%s) is refused with one message", async (target, host) => {
  const job = await fetchThrough(target);
  expect(job.status).toBe("failed");
  expect(job.error).toBe(`Routine 'fetch' failed: destination not allowed: ${host}`);
});

test("ROUTILUX_FETCH_ALLOW from the bindings opens an exception", async () => {
  const job = await fetchThrough("http://127.0.0.1:9/");
  expect(job.status).toBe("failed");
  expect(job.error).not.toContain("destination not allowed");
});
