import { hc } from "hono/client";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { AppType } from "../../src/api/app.js";
import { startServer, type TestServer } from "../support/server.js";

/** The typed client of docs/api.md works against a real server, and its types follow the routes. */

let api: TestServer;
beforeAll(async () => {
  api = await startServer();
});
afterAll(async () => {
  await api?.close();
});

test("hono/client starts a job, reads it, and lists jobs with typed queries", async () => {
  const client = hc<AppType>(api.url);

  const started = await client.api.jobs.$post({
    json: { flow_id: "linear_flow", entry_routine_id: "source", entry_params: { data: "typed", count: 2 } },
  });
  expect(started.status).toBe(201);
  if (started.status !== 201) return;
  const job = await started.json();
  await api.waitForStatus(job.job_id, "completed");

  const read = await client.api.jobs[":job_id"].$get({ param: { job_id: job.job_id } });
  if (read.status !== 200) throw new Error(`unexpected ${read.status}`);
  const record = await read.json();
  expect(record.status).toBe("completed");

  const page = await client.api.jobs.$get({
    query: { flow_id: "linear_flow", status: "completed", limit: "10" },
  });
  if (page.status !== 200) throw new Error(`unexpected ${page.status}`);
  const body = await page.json();
  expect(body.jobs.map((j) => j.job_id)).toContain(job.job_id);

  const missing = await client.api.flows[":flow_id"].$get({ param: { flow_id: "ghost" } });
  expect(missing.status).toBe(404);
  if (missing.status === 404) expect((await missing.json()).error.code).toBe("FLOW_NOT_FOUND");
});
