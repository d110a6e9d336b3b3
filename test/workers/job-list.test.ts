import { abortAllDurableObjects, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import { api, createLinearFlow, eventually, startJob, waitForStatus } from "./support.js";

interface JobList {
  jobs: JobRecord[];
  total: number;
  limit: number;
  offset: number;
  next_cursor: string | null;
}

describe("the job list, held by the registry object", () => {
  it("pages by cursor across job objects, newest first, with filters", async () => {
    await createLinearFlow("paging_flow");
    const started: string[] = [];
    for (let i = 0; i < 5; i++) started.push((await startJob("paging_flow", { data: `item ${i}` })).job_id);
    for (const job_id of started) await waitForStatus(job_id, "completed");
    // The index follows each object's reports; wait until it has seen every completion.
    await eventually(async () => {
      const { body } = await api<JobList>("GET", "/api/jobs?flow_id=paging_flow&status=completed");
      return body.total === 5 ? true : undefined;
    });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `/api/jobs?flow_id=paging_flow&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const { status, body } = await api<JobList>("GET", query);
      expect(status).toBe(200);
      expect(body.total).toBe(5);
      expect(body.jobs.length).toBeLessThanOrEqual(2);
      seen.push(...body.jobs.map((job) => job.job_id));
      cursor = body.next_cursor;
      pages++;
    } while (cursor !== null);

    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual([...started].sort());
    const { body: all } = await api<JobList>("GET", "/api/jobs?flow_id=paging_flow&limit=100");
    expect(all.jobs.map((job) => job.job_id)).toEqual(seen);
    const createdAt = all.jobs.map((job) => job.created_at);
    expect(createdAt).toEqual([...createdAt].sort().reverse());

    const { body: none } = await api<JobList>("GET", "/api/jobs?flow_id=paging_flow&status=failed");
    expect(none).toMatchObject({ jobs: [], total: 0, next_cursor: null });
  });

  it("keeps flows and the index across a registry restart", async () => {
    await createLinearFlow("durable_flow");
    const job = await startJob("durable_flow", { data: "x" });
    await waitForStatus(job.job_id, "completed");
    await abortAllDurableObjects();

    const { status, body } = await api<{ flow_id: string }>("GET", "/api/flows/durable_flow");
    expect(status).toBe(200);
    expect(body.flow_id).toBe("durable_flow");
    const listed = await eventually(async () => {
      const { body: page } = await api<JobList>("GET", "/api/jobs?flow_id=durable_flow");
      return page.jobs.find((j) => j.job_id === job.job_id && j.status === "completed");
    });
    expect(listed.completed_at).not.toBeNull();
  });

  it("refuses a bad cursor with a 422 naming it", async () => {
    const { status, body } = await api<{ error: { code: string; details: unknown } }>(
      "GET",
      "/api/jobs?cursor=not-a-cursor",
    );
    expect(status).toBe(422);
    expect(body.error.code).toBe("VALIDATION_ERROR");
    expect(JSON.stringify(body.error.details)).toContain("query.cursor");
  });
});

describe("flows and documents, served by the same app", () => {
  it("keeps a deleted demo flow deleted across a registry restart", async () => {
    expect((await api("DELETE", "/api/flows/branching_flow")).status).toBe(204);
    await abortAllDurableObjects();
    expect((await api("GET", "/api/flows/branching_flow")).status).toBe(404);
    expect((await api("GET", "/api/flows/linear_flow")).status).toBe(200);
  });

  it("serves the OpenAPI document, and Swagger UI's files from the assets binding only by their names", async () => {
    const { status, body } = await api<{ openapi: string; paths: Record<string, unknown> }>(
      "GET",
      "/openapi.json",
    );
    expect(status).toBe(200);
    expect(body.openapi).toBe("3.1.0");
    expect(Object.keys(body.paths)).toContain("/api/jobs/{job_id}/debug/resume");
    const css = await SELF.fetch("https://routilux.test/docs/assets/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    expect((await css.text()).length).toBeGreaterThan(1000);
    expect((await SELF.fetch("https://routilux.test/docs/assets/package.json")).status).toBe(404);
    expect((await SELF.fetch("https://routilux.test/package.json")).status).toBe(404);
  });
});
