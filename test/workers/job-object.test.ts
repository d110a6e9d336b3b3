import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { JobRecord } from "../../src/core/types.js";
import type { JobState } from "../../src/core/views.js";
import { doSqliteDriver } from "../../src/edge/do-sqlite-driver.js";
import type { JobObject } from "../../src/edge/job-object.js";
import { SqliteStore } from "../../src/service/sqlite/sqlite-store.js";
import { allEvents, api, eventually, startJob, waitForStatus } from "./support.js";

describe("a job in its Durable Object", () => {
  it("runs to completion inside its object", async () => {
    const job = await startJob("linear_flow", { data: "hello", count: 3 });
    const done = await waitForStatus(job.job_id, "completed");
    expect(done.completed_at).not.toBeNull();

    const { body: state } = await api<JobState>("GET", `/api/jobs/${job.job_id}/state`);
    expect(state.shared_data.results).toEqual([
      { result: "HELLO", index: 0 },
      { result: "HELLO", index: 1 },
      { result: "HELLO", index: 2 },
    ]);
    const events = await allEvents(job.job_id);
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe("job_completed");

    // The log is in the object's own SQLite, written through SqliteStore and the DO driver.
    const stored = await runInDurableObject(env.JOBS.getByName(job.job_id), (_, state) =>
      new SqliteStore(doSqliteDriver(state.storage)).readEvents(job.job_id, 0, 10_000),
    );
    expect(stored.events).toEqual(events);
  });

  it("a breakpoint pauses the job and debug resume continues it", async () => {
    const job = await startJob(
      "linear_flow",
      { data: "hello", count: 3 },
      {
        breakpoints: [
          { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index >= 2" },
        ],
      },
    );
    await waitForStatus(job.job_id, "paused");
    const { body: session } = await api("GET", `/api/jobs/${job.job_id}/debug/session`);
    expect(session).toMatchObject({
      status: "paused",
      paused_at: { routine_id: "transformer", slot_name: "input" },
    });
    const evaluated = await api("POST", `/api/jobs/${job.job_id}/debug/evaluate`, {
      expression: "index * 10",
    });
    expect(evaluated).toEqual({ status: 200, body: { result: 20, type: "number", error: null } });
    const { body: listed } = await api<{ breakpoints: { hit_count: number }[] }>(
      "GET",
      `/api/jobs/${job.job_id}/breakpoints`,
    );
    expect(listed.breakpoints).toMatchObject([{ hit_count: 1 }]);

    const resumed = await api("POST", `/api/jobs/${job.job_id}/debug/resume`);
    expect(resumed).toEqual({ status: 200, body: { status: "resumed", job_id: job.job_id } });
    await waitForStatus(job.job_id, "completed");
    const types = (await allEvents(job.job_id)).map((event) => event.type);
    expect(types).toContain("breakpoint_hit");
    expect(types.indexOf("job_paused")).toBeLessThan(types.indexOf("job_resumed"));
  });

  it("keeps its events across an object restart, and a paused job resumes and completes after it", async () => {
    const job = await startJob(
      "linear_flow",
      { data: "hello", count: 3 },
      {
        breakpoints: [
          { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index == 1" },
        ],
      },
    );
    await waitForStatus(job.job_id, "paused");
    const before = await allEvents(job.job_id);
    const { body: pausedState } = await api<JobState>("GET", `/api/jobs/${job.job_id}/state`);
    await markInstance(env.JOBS.getByName(job.job_id));

    await abortAllDurableObjects();
    // A stub does not outlive an abort; a new one reaches a new instance.
    expect(await isMarkedInstance(env.JOBS.getByName(job.job_id))).toBe(false);

    // Listed (registry), inspected (its own object, woken from storage), same log, then resumed to the end.
    const { body: page } = await api<{ jobs: JobRecord[] }>(
      "GET",
      "/api/jobs?flow_id=linear_flow&status=paused",
    );
    expect(page.jobs.map((j) => j.job_id)).toContain(job.job_id);
    expect(await allEvents(job.job_id)).toEqual(before);
    const { body: state } = await api<JobState>("GET", `/api/jobs/${job.job_id}/state`);
    expect(state).toEqual(pausedState);
    // The breakpoint came back armed, with its hit count.
    const { body: listed } = await api<{ breakpoints: { hit_count: number }[] }>(
      "GET",
      `/api/jobs/${job.job_id}/breakpoints`,
    );
    expect(listed.breakpoints).toMatchObject([{ hit_count: 1, condition: "index == 1" }]);

    const resumed = await api("POST", `/api/jobs/${job.job_id}/resume`);
    expect(resumed).toEqual({ status: 200, body: { status: "resumed", job_id: job.job_id } });
    await waitForStatus(job.job_id, "completed");
    const { body: final } = await api<JobState>("GET", `/api/jobs/${job.job_id}/state`);
    expect(final.shared_data.results).toHaveLength(3);
    const after = await allEvents(job.job_id);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((event) => event.seq)).toEqual(after.map((_, i) => i + 1));
  });

  it("marks a job that was running through a handler when its object restarted as failed, interrupted", async () => {
    // delay_ms makes the source's handler asynchronous: while it runs, no snapshot can be taken.
    const job = await startJob("linear_flow", { data: "slow", count: 5, delay_ms: 300 });
    await eventually(async () => ((await allEvents(job.job_id)).length > 3 ? true : undefined));

    await abortAllDurableObjects();

    const failed = await waitForStatus(job.job_id, "failed");
    expect(failed.error).toBe("interrupted by server restart");
    const events = await allEvents(job.job_id);
    expect(events.at(-1)).toMatchObject({
      type: "job_failed",
      data: { error: "interrupted by server restart" },
    });
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    const listed = await eventually(async () => {
      const { body } = await api<{ jobs: JobRecord[] }>("GET", "/api/jobs?status=failed&limit=1000");
      return body.jobs.find((j) => j.job_id === job.job_id);
    });
    expect(listed.error).toBe("interrupted by server restart");
  });

  it("follows the control state machine: a paused job cancels, and then refuses to resume", async () => {
    const job = await startJob("linear_flow", { data: "x", count: 2 }, { pause_on_start: true });
    await waitForStatus(job.job_id, "paused");
    expect(await api("POST", `/api/jobs/${job.job_id}/cancel`)).toEqual({
      status: 200,
      body: { status: "cancelled", job_id: job.job_id },
    });
    const refused = await api<{ error: { code: string } }>("POST", `/api/jobs/${job.job_id}/resume`);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("INVALID_STATE");
    expect((await allEvents(job.job_id)).at(-1)?.type).toBe("job_cancelled");
    const { body: session } = await api("GET", `/api/jobs/${job.job_id}/debug/session`);
    expect(session).toEqual({ status: "no_session", job_id: job.job_id });
  });

  it("answers for an unknown job with 404 and leaves no object storage behind", async () => {
    const { status, body } = await api<{ error: { code: string } }>("GET", "/api/jobs/no-such-job");
    expect(status).toBe(404);
    expect(body.error.code).toBe("JOB_NOT_FOUND");
    const tables = await runInDurableObject(env.JOBS.getByName("no-such-job"), (_, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE name NOT LIKE '_cf_%'").toArray(),
    );
    expect(tables).toEqual([]);
  });
});

// An instance marker: a restarted object is a new instance, so the mark is gone.
const MARK = Symbol.for("routilux.test.mark");

async function markInstance(stub: DurableObjectStub<JobObject>): Promise<void> {
  await runInDurableObject(stub, (instance) => {
    (instance as unknown as Record<symbol, boolean>)[MARK] = true;
  });
}

function isMarkedInstance(stub: DurableObjectStub<JobObject>): Promise<boolean> {
  return runInDurableObject(
    stub,
    (instance) => (instance as unknown as Record<symbol, boolean>)[MARK] === true,
  );
}
