import http from "node:http";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { z } from "zod";
import { ErrorSchema } from "../../src/api/schemas/common.js";
import {
  Connected,
  ConnectionInfo,
  DslExport,
  Flow,
  FlowList,
  FlowMetrics,
  FlowValidation,
  RoutineAdded,
  RoutineMap,
} from "../../src/api/schemas/flows.js";
import { Job, JobList, JobState, JobStatusView } from "../../src/api/schemas/jobs.js";
import { Health, Liveness, Readiness, ServiceInfo } from "../../src/api/schemas/meta.js";
import { EventPage, JobLogs, JobMetrics, Trace } from "../../src/api/schemas/monitoring.js";
import { packageVersion } from "../../src/entry/local-runtime.js";
import {
  type ApiResponse,
  bunAvailable,
  startServer,
  type Target,
  type TestServer,
} from "../support/server.js";

/**
 * Every route of the HTTP API (docs/api.md), against a real server per runtime: the same
 * requests over HTTP to the Node entry (in process) and to the Bun entry (a child process).
 */

const BUN_OK = bunAvailable();
const TARGETS: Target[] = ["node", "bun"];

type ErrorBody = z.infer<typeof ErrorSchema>;

/** The envelope, with the contract's code, and `detail` equal to the message. */
function expectError(response: ApiResponse, status: number, code: string): ErrorBody {
  expect(response.status, response.text).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = ErrorSchema.parse(response.body);
  expect(body.error.code).toBe(code);
  expect(body.detail).toBe(body.error.message);
  expect(body.error.request_id).toBe(response.headers.get("x-request-id"));
  return body;
}

/** A 422 that names exactly these fields. */
function expectInvalid(response: ApiResponse, ...paths: string[]): void {
  const body = expectError(response, 422, "VALIDATION_ERROR");
  const errors = z
    .array(z.object({ path: z.string(), message: z.string() }))
    .parse(body.error.details.errors);
  expect(errors.map((e) => e.path).sort()).toEqual([...paths].sort());
  for (const e of errors) expect(e.message.length).toBeGreaterThan(0);
}

const SMALL_FLOW_YAML = `
flow_id: yaml_flow
routines:
  source: {class: DemoSource}
  shout: {class: DemoTransformer}
  sink: {class: DemoSink}
connections:
  - {from: source.output, to: shout.input}
  - {from: shout.output, to: sink.input}
`;

/** A job that keeps running for seconds unless paused or cancelled. */
const SLOW = { data: "slow", count: 200, delay_ms: 50 };

describe.each(TARGETS)("HTTP API on %s", (target) => {
  const skip = target === "bun" && !BUN_OK;
  let api: TestServer;

  beforeAll(async () => {
    if (!skip) api = await startServer({}, { target });
  });
  afterAll(async () => {
    await api?.close();
  });

  describe.skipIf(skip)("meta", () => {
    test("GET / names the service and its version", async () => {
      const { status, body } = await api.request("GET", "/");
      expect(status).toBe(200);
      expect(ServiceInfo.parse(body)).toMatchObject({ name: "routilux", version: packageVersion() });
    });

    test("health probes answer", async () => {
      expect(Health.parse((await api.request("GET", "/api/health")).body)).toEqual({ status: "healthy" });
      expect(Liveness.parse((await api.request("GET", "/api/health/live")).body)).toEqual({
        status: "alive",
      });
      expect(Readiness.parse((await api.request("GET", "/api/health/ready")).body)).toEqual({
        status: "ready",
      });
    });

    test("every response carries a request id: the client's when usable, else a fresh one", async () => {
      const fresh = await api.request("GET", "/api/health");
      expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      const given = await api.request("GET", "/api/jobs/nope", undefined, { "X-Request-Id": "trace-123" });
      expect(given.headers.get("x-request-id")).toBe("trace-123");
      expect(expectError(given, 404, "JOB_NOT_FOUND").error.request_id).toBe("trace-123");
    });
  });

  describe.skipIf(skip)("flows", () => {
    test("the four demo flows are listed", async () => {
      const { status, body } = await api.request("GET", "/api/flows");
      expect(status).toBe(200);
      const list = FlowList.parse(body);
      const ids = list.flows.map((f) => f.flow_id);
      expect(ids).toEqual(
        expect.arrayContaining(["linear_flow", "branching_flow", "complex_flow", "error_flow"]),
      );
      expect(list.total).toBe(list.flows.length);
    });

    test("a flow is created from YAML, read back, and a second create of its id is 409", async () => {
      const created = await api.request("POST", "/api/flows", { dsl: SMALL_FLOW_YAML });
      expect(created.status, created.text).toBe(201);
      const flow = Flow.parse(created.body);
      expect(flow.flow_id).toBe("yaml_flow");
      expect(Object.keys(flow.routines).sort()).toEqual(["shout", "sink", "source"]);
      expect(flow.routines.shout).toMatchObject({
        class_name: "DemoTransformer",
        slots: ["input"],
        events: ["output"],
      });
      expect(flow.connections[1]).toMatchObject({
        connection_id: "conn_1",
        source_routine: "shout",
        target_routine: "sink",
      });

      const read = await api.request("GET", "/api/flows/yaml_flow");
      expect(Flow.parse(read.body)).toEqual(flow);

      const again = expectError(
        await api.request("POST", "/api/flows", { dsl: SMALL_FLOW_YAML }),
        409,
        "FLOW_ALREADY_EXISTS",
      );
      expect(again.error.details).toEqual({ flow_id: "yaml_flow" });
    });

    test("dsl_dict works, the body's flow_id overrides the DSL's, and options apply", async () => {
      const { status, body } = await api.request("POST", "/api/flows", {
        flow_id: "dict_flow",
        dsl_dict: { flow_id: "ignored", routines: { source: { class: "DemoSource" } }, connections: [] },
        execution_strategy: "concurrent",
        max_workers: 3,
      });
      expect(status).toBe(201);
      expect(Flow.parse(body)).toMatchObject({
        flow_id: "dict_flow",
        execution_strategy: "concurrent",
        max_workers: 3,
      });
    });

    test("an empty body creates an empty flow with a generated id (never a 422)", async () => {
      const { status, body } = await api.request("POST", "/api/flows", "");
      expect(status).toBe(201);
      const flow = Flow.parse(body);
      expect(flow.flow_id).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/);
      expect(flow).toMatchObject({
        routines: {},
        connections: [],
        execution_strategy: "sequential",
        max_workers: 5,
      });
    });

    test("an invalid DSL is 400 DSL_INVALID naming the routine at fault", async () => {
      const response = await api.request("POST", "/api/flows", {
        dsl_dict: { routines: { broken: { class: "NoSuchType" } }, connections: [] },
      });
      const body = expectError(response, 400, "DSL_INVALID");
      const issues = z.array(z.string()).parse(body.error.details.issues);
      expect(issues.join(" ")).toContain("broken");
    });

    test("create-flow fields of the wrong type are 422 naming each", async () => {
      expectInvalid(
        await api.request("POST", "/api/flows", {
          flow_id: "bad id!",
          max_workers: "five",
          execution_strategy: "random",
        }),
        "body.flow_id",
        "body.max_workers",
        "body.execution_strategy",
      );
    });

    test("unknown flows are 404 FLOW_NOT_FOUND on every flow route", async () => {
      for (const [method, path] of [
        ["GET", "/api/flows/ghost"],
        ["DELETE", "/api/flows/ghost"],
        ["GET", "/api/flows/ghost/dsl"],
        ["POST", "/api/flows/ghost/validate"],
        ["GET", "/api/flows/ghost/routines"],
        ["POST", "/api/flows/ghost/routines?routine_id=r&class_path=DemoSink"],
        ["GET", "/api/flows/ghost/connections"],
        ["GET", "/api/flows/ghost/metrics"],
      ] as const) {
        const body = expectError(await api.request(method, path), 404, "FLOW_NOT_FOUND");
        expect(body.error.details).toEqual({ flow_id: "ghost" });
      }
    });

    test("ids with characters outside [A-Za-z0-9_.:-] are 422", async () => {
      expectInvalid(await api.request("GET", "/api/flows/bad%20id"), "path.flow_id");
      expectInvalid(await api.request("GET", `/api/flows/${"x".repeat(129)}`), "path.flow_id");
      expectInvalid(await api.request("GET", "/api/jobs/a%2Fb"), "path.job_id");
    });

    test("DELETE removes a flow (204), after which it is 404", async () => {
      await api.request("POST", "/api/flows", { flow_id: "doomed" });
      const deleted = await api.request("DELETE", "/api/flows/doomed");
      expect(deleted.status).toBe(204);
      expect(deleted.text).toBe("");
      expectError(await api.request("GET", "/api/flows/doomed"), 404, "FLOW_NOT_FOUND");
    });

    test("the DSL exports as YAML by default and as JSON on request; other formats are 422", async () => {
      const yaml = DslExport.parse((await api.request("GET", "/api/flows/linear_flow/dsl")).body);
      expect(yaml.format).toBe("yaml");
      expect(yaml.dsl).toContain("DemoTransformer");
      const json = DslExport.parse((await api.request("GET", "/api/flows/linear_flow/dsl?format=json")).body);
      expect(JSON.parse(json.dsl)).toMatchObject({ routines: { transformer: { class: "DemoTransformer" } } });
      expectInvalid(await api.request("GET", "/api/flows/linear_flow/dsl?format=xml"), "query.format");
    });

    test("validate answers on POST (empty body) and GET", async () => {
      for (const method of ["POST", "GET"]) {
        const { status, body } = await api.request(method, "/api/flows/linear_flow/validate");
        expect(status).toBe(200);
        const verdict = FlowValidation.parse(body);
        expect(verdict.valid).toBe(true);
        expect(verdict.errors).toEqual([]);
        expect(verdict.issues).toEqual([...verdict.errors, ...verdict.warnings]);
      }
    });

    test("routines are listed, added (with and without config), refused when taken or unknown, and removed", async () => {
      await api.request("POST", "/api/flows", { dsl: SMALL_FLOW_YAML.replace("yaml_flow", "edit_flow") });
      const routines = RoutineMap.parse((await api.request("GET", "/api/flows/edit_flow/routines")).body);
      expect(Object.keys(routines).sort()).toEqual(["shout", "sink", "source"]);

      const plain = await api.request(
        "POST",
        "/api/flows/edit_flow/routines?routine_id=twice&class_path=DemoMultiplier",
      );
      expect(RoutineAdded.parse(plain.body)).toEqual({ routine_id: "twice", status: "added" });
      const configured = await api.request(
        "POST",
        "/api/flows/edit_flow/routines?routine_id=thrice&class_path=DemoMultiplier",
        { times: 3 },
      );
      expect(configured.status).toBe(200);
      const flow = Flow.parse((await api.request("GET", "/api/flows/edit_flow")).body);
      expect(flow.routines.thrice!.config).toEqual({ times: 3 });
      expect(flow.routines.twice!.config).toEqual({});

      const taken = await api.request(
        "POST",
        "/api/flows/edit_flow/routines?routine_id=twice&class_path=DemoSink",
      );
      expect(expectError(taken, 409, "ROUTINE_ALREADY_EXISTS").error.details).toEqual({
        routine_id: "twice",
      });
      expectError(
        await api.request("POST", "/api/flows/edit_flow/routines?routine_id=odd&class_path=os.system"),
        400,
        "DSL_INVALID",
      );
      expectInvalid(
        await api.request("POST", "/api/flows/edit_flow/routines?class_path=DemoSink"),
        "query.routine_id",
      );
      expectInvalid(
        await api.request("POST", "/api/flows/edit_flow/routines?routine_id=r&class_path=DemoSink", [1, 2]),
        "body",
      );

      expect((await api.request("DELETE", "/api/flows/edit_flow/routines/shout")).status).toBe(204);
      const after = Flow.parse((await api.request("GET", "/api/flows/edit_flow")).body);
      expect(Object.keys(after.routines)).not.toContain("shout");
      expect(after.connections).toEqual([]); // both connections touched `shout`
      expectError(
        await api.request("DELETE", "/api/flows/edit_flow/routines/shout"),
        404,
        "ROUTINE_NOT_FOUND",
      );
    });

    test("connections are listed, added (with and without param_mapping), and removed by index", async () => {
      await api.request("POST", "/api/flows", { dsl: SMALL_FLOW_YAML.replace("yaml_flow", "wire_flow") });
      const listed = z
        .array(ConnectionInfo)
        .parse((await api.request("GET", "/api/flows/wire_flow/connections")).body);
      expect(listed.map((c) => c.connection_id)).toEqual(["conn_0", "conn_1"]);

      const query = "source_routine=source&source_event=output&target_routine=sink&target_slot=input";
      const mapped = await api.request("POST", `/api/flows/wire_flow/connections?${query}`, { data: "item" });
      expect(Connected.parse(mapped.body)).toEqual({ status: "connected", connection_id: "conn_2" });
      const bare = await api.request("POST", `/api/flows/wire_flow/connections?${query}`);
      expect(Connected.parse(bare.body).connection_id).toBe("conn_3");
      const now = z
        .array(ConnectionInfo)
        .parse((await api.request("GET", "/api/flows/wire_flow/connections")).body);
      expect(now[2]!.param_mapping).toEqual({ data: "item" });
      expect(now[3]!.param_mapping).toBeNull();

      const badEvent = "source_routine=source&source_event=nope&target_routine=sink&target_slot=input";
      expectError(
        await api.request("POST", `/api/flows/wire_flow/connections?${badEvent}`),
        400,
        "DSL_INVALID",
      );
      expectInvalid(
        await api.request("POST", "/api/flows/wire_flow/connections?source_routine=source"),
        "query.source_event",
        "query.target_routine",
        "query.target_slot",
      );
      expectInvalid(
        await api.request("POST", `/api/flows/wire_flow/connections?${query}`, { data: 7 }),
        "body.data",
      );

      expect((await api.request("DELETE", "/api/flows/wire_flow/connections/0")).status).toBe(204);
      const left = z
        .array(ConnectionInfo)
        .parse((await api.request("GET", "/api/flows/wire_flow/connections")).body);
      expect(left).toHaveLength(3);
      expect(left[0]).toMatchObject({ connection_id: "conn_0", source_routine: "shout" });
      expectError(await api.request("DELETE", "/api/flows/wire_flow/connections/3"), 404, "NOT_FOUND");
      expectInvalid(
        await api.request("DELETE", "/api/flows/wire_flow/connections/first"),
        "path.connection_index",
      );
      expectInvalid(
        await api.request("DELETE", "/api/flows/wire_flow/connections/-1"),
        "path.connection_index",
      );
    });

    test("flow metrics count the flow's jobs", async () => {
      const job = await api.startJob("linear_flow");
      await api.waitForStatus(job.job_id, "completed");
      const { status, body } = await api.request("GET", "/api/flows/linear_flow/metrics");
      expect(status).toBe(200);
      const metrics = FlowMetrics.parse(body);
      expect(metrics.flow_id).toBe("linear_flow");
      expect(metrics.total_jobs).toBeGreaterThanOrEqual(1);
      expect(metrics.completed_jobs).toBeGreaterThanOrEqual(1);
      expect(metrics.job_metrics.map((m) => m.job_id)).toContain(job.job_id);
    });
  });

  describe.skipIf(skip)("jobs", () => {
    test("POST /api/jobs is 201 with the job, which then completes with true timestamps", async () => {
      const created = await api.request("POST", "/api/jobs", {
        flow_id: "linear_flow",
        entry_routine_id: "source",
        entry_params: { data: "hello", count: 3 },
      });
      expect(created.status).toBe(201);
      const job = Job.parse(created.body);
      expect(job.flow_id).toBe("linear_flow");
      const done = Job.parse(await api.waitForStatus(job.job_id, "completed"));
      expect(done.started_at).not.toBeNull();
      expect(done.completed_at! >= done.started_at!).toBe(true);
      expect(done.error).toBeNull();
    });

    test("a failing routine fails the job with its error", async () => {
      const job = await api.startJob("error_flow", { data: "fail" });
      const failed = await api.waitForStatus(job.job_id, "failed");
      expect(failed.error).toContain("demo failure");
    });

    test("unknown flow and unknown entry routine are 404 with their codes", async () => {
      const noFlow = await api.request("POST", "/api/jobs", { flow_id: "ghost", entry_routine_id: "source" });
      expectError(noFlow, 404, "FLOW_NOT_FOUND");
      const noRoutine = await api.request("POST", "/api/jobs", {
        flow_id: "linear_flow",
        entry_routine_id: "ghost",
      });
      expect(expectError(noRoutine, 404, "ROUTINE_NOT_FOUND").error.details).toEqual({ routine_id: "ghost" });
    });

    test("start-job bodies of the wrong shape are 422 naming each field", async () => {
      expectInvalid(await api.request("POST", "/api/jobs", ""), "body.flow_id", "body.entry_routine_id");
      expectInvalid(
        await api.request("POST", "/api/jobs", {
          flow_id: 5,
          entry_routine_id: "source",
          entry_params: "hello",
        }),
        "body.flow_id",
        "body.entry_params",
      );
      expectInvalid(
        await api.request("POST", "/api/jobs", {
          flow_id: "linear_flow",
          entry_routine_id: "source",
          timeout: -1,
        }),
        "body.timeout",
      );
      expectInvalid(await api.request("POST", "/api/jobs", '{"flow_id": "linear_flow",'), "body");
      expectInvalid(await api.request("POST", "/api/jobs", "[1, 2]"), "body");
      const asText = await api.request("POST", "/api/jobs", '{"flow_id":"linear_flow"}', {
        "content-type": "text/plain",
      });
      // Not JSON is 415 (a form post must not reach a route), not a 422 about the header.
      expectError(asText, 415, "UNSUPPORTED_MEDIA_TYPE");
    });

    test("the job list has the contract's shape and filters by flow and status", async () => {
      const job = await api.startJob("error_flow", { data: "fail" });
      await api.waitForStatus(job.job_id, "failed");
      const all = JobList.parse((await api.request("GET", "/api/jobs")).body);
      expect(all).toMatchObject({ limit: 100, offset: 0 });
      expect(all.total).toBeGreaterThanOrEqual(all.jobs.length);
      const created = all.jobs.map((j) => j.created_at);
      expect(created).toEqual([...created].sort().reverse()); // newest first

      const failed = JobList.parse(
        (await api.request("GET", "/api/jobs?flow_id=error_flow&status=failed")).body,
      );
      expect(failed.jobs.map((j) => j.job_id)).toContain(job.job_id);
      for (const j of failed.jobs) expect(j).toMatchObject({ flow_id: "error_flow", status: "failed" });

      const page = JobList.parse((await api.request("GET", "/api/jobs?limit=1&order=asc")).body);
      expect(page.jobs).toHaveLength(1);
      expect(page.next_cursor).toEqual(expect.any(String));
      const next = JobList.parse(
        (
          await api.request(
            "GET",
            `/api/jobs?limit=1&order=asc&cursor=${encodeURIComponent(page.next_cursor!)}`,
          )
        ).body,
      );
      expect(next.jobs[0]!.created_at >= page.jobs[0]!.created_at).toBe(true);
      expect(next.jobs[0]!.job_id).not.toBe(page.jobs[0]!.job_id);
    });

    test("bad list parameters are 422 naming each", async () => {
      expectInvalid(await api.request("GET", "/api/jobs?status=exploded"), "query.status");
      expectInvalid(await api.request("GET", "/api/jobs?limit=0"), "query.limit");
      expectInvalid(await api.request("GET", "/api/jobs?limit=1001"), "query.limit");
      expectInvalid(await api.request("GET", "/api/jobs?limit=ten"), "query.limit");
      expectInvalid(await api.request("GET", "/api/jobs?offset=-1"), "query.offset");
      expectInvalid(await api.request("GET", "/api/jobs?order=sideways"), "query.order");
      expectInvalid(await api.request("GET", "/api/jobs?created_after=yesterday"), "query.created_after");
      expectInvalid(await api.request("GET", "/api/jobs?cursor=not-ours"), "query.cursor");
      expectInvalid(
        await api.request("GET", "/api/jobs?flow_id=a%20b&limit=0"),
        "query.flow_id",
        "query.limit",
      );
    });

    test("limits 1 and 1000 are fine", async () => {
      expect((await api.request("GET", "/api/jobs?limit=1")).status).toBe(200);
      expect((await api.request("GET", "/api/jobs?limit=1000")).status).toBe(200);
    });

    test("a job's status and state", async () => {
      const job = await api.startJob("linear_flow", { data: "hi", count: 2 });
      await api.waitForStatus(job.job_id, "completed");
      expect(JobStatusView.parse((await api.request("GET", `/api/jobs/${job.job_id}/status`)).body)).toEqual({
        job_id: job.job_id,
        status: "completed",
        flow_id: "linear_flow",
      });
      const state = JobState.parse((await api.request("GET", `/api/jobs/${job.job_id}/state`)).body);
      expect(state.routine_states.transformer).toMatchObject({ status: "completed", execution_count: 2 });
      for (const key of [
        "execution_history",
        "pause_points",
        "deferred_events",
        "pending_tasks",
        "shared_log",
        "output_log",
      ]) {
        expect(Array.isArray(state[key as keyof typeof state])).toBe(true);
      }
    });

    test("pause, resume and cancel follow the state machine; bodyless POSTs with Content-Type are fine", async () => {
      const job = await api.startJob("linear_flow", SLOW);
      await api.waitForStatus(job.job_id, "running");

      const paused = await api.request("POST", `/api/jobs/${job.job_id}/pause`, "");
      expect(paused.status, paused.text).toBe(200);
      expect(paused.body).toEqual({ status: "paused", job_id: job.job_id });
      await api.waitForStatus(job.job_id, "paused");
      expectError(await api.request("POST", `/api/jobs/${job.job_id}/pause`), 409, "INVALID_STATE");

      const resumed = await api.request("POST", `/api/jobs/${job.job_id}/resume`);
      expect(resumed.status).toBe(200);
      expect(resumed.body).toEqual({ status: "resumed", job_id: job.job_id });
      await api.waitForStatus(job.job_id, "running");
      expectError(await api.request("POST", `/api/jobs/${job.job_id}/resume`), 409, "INVALID_STATE");

      const cancelled = await api.request("POST", `/api/jobs/${job.job_id}/cancel`, "   \n");
      expect(cancelled.status).toBe(200);
      expect(cancelled.body).toEqual({ status: "cancelled", job_id: job.job_id });
      await api.waitForStatus(job.job_id, "cancelled");

      const finished = (await api.request("GET", `/api/jobs/${job.job_id}`)).body;
      expectError(await api.request("POST", `/api/jobs/${job.job_id}/cancel`), 409, "INVALID_STATE");
      expectError(await api.request("POST", `/api/jobs/${job.job_id}/pause`), 409, "INVALID_STATE");
      expect((await api.request("GET", `/api/jobs/${job.job_id}`)).body).toEqual(finished); // a 409 changes nothing
    });

    test("pausing a finished job is 409 and unknown jobs are 404 on every job route", async () => {
      const job = await api.startJob("linear_flow");
      await api.waitForStatus(job.job_id, "completed");
      expectError(await api.request("POST", `/api/jobs/${job.job_id}/pause`), 409, "INVALID_STATE");
      for (const [method, suffix] of [
        ["GET", ""],
        ["POST", "/pause"],
        ["POST", "/resume"],
        ["POST", "/cancel"],
        ["GET", "/status"],
        ["GET", "/state"],
        ["GET", "/metrics"],
        ["GET", "/trace"],
        ["GET", "/logs"],
        ["GET", "/events"],
      ] as const) {
        const body = expectError(
          await api.request(method, `/api/jobs/ghost-job${suffix}`),
          404,
          "JOB_NOT_FOUND",
        );
        expect(body.error.details).toEqual({ job_id: "ghost-job" });
      }
    });
  });

  describe.skipIf(skip)("monitoring", () => {
    let jobId: string;
    // biome-ignore lint/suspicious/noDuplicateTestHooks: describe.skipIf(skip)(…) opens its own block; Biome does not see that form as one
    beforeAll(async () => {
      jobId = (await api.startJob("linear_flow", { data: "watch", count: 3 })).job_id;
      await api.waitForStatus(jobId, "completed");
    });

    test("metrics", async () => {
      const metrics = JobMetrics.parse((await api.request("GET", `/api/jobs/${jobId}/metrics`)).body);
      expect(metrics).toMatchObject({ job_id: jobId, flow_id: "linear_flow" });
      expect(metrics.routine_metrics.transformer!.execution_count).toBe(3);
      expect(metrics.total_events).toBeGreaterThan(0);
    });

    test("trace: total counts every event, limit cuts the list", async () => {
      const all = Trace.parse((await api.request("GET", `/api/jobs/${jobId}/trace`)).body);
      expect(all.events).toHaveLength(all.total);
      const two = Trace.parse((await api.request("GET", `/api/jobs/${jobId}/trace?limit=2`)).body);
      expect(two.events).toEqual(all.events.slice(0, 2));
      expect(two.total).toBe(all.total);
      expectInvalid(await api.request("GET", `/api/jobs/${jobId}/trace?limit=-5`), "query.limit");
    });

    test("logs", async () => {
      const logs = JobLogs.parse((await api.request("GET", `/api/jobs/${jobId}/logs`)).body);
      expect(logs.job_id).toBe(jobId);
    });

    test("events: gap-free seqs, `since` and `limit`", async () => {
      const all = EventPage.parse((await api.request("GET", `/api/jobs/${jobId}/events`)).body);
      expect(all.events.map((e) => e.seq)).toEqual(all.events.map((_, i) => i + 1));
      expect(all).toMatchObject({ last_seq: all.events.length, oldest_seq: 1 });
      const page = EventPage.parse(
        (await api.request("GET", `/api/jobs/${jobId}/events?since=3&limit=2`)).body,
      );
      expect(page.events.map((e) => e.seq)).toEqual([4, 5]);
      expectInvalid(
        await api.request("GET", `/api/jobs/${jobId}/events?since=-1&limit=0`),
        "query.since",
        "query.limit",
      );
    });
  });

  describe.skipIf(skip)("protocol", () => {
    test("a known path with another method is 405 with Allow", async () => {
      const response = await api.request("PUT", "/api/jobs");
      expectError(response, 405, "METHOD_NOT_ALLOWED");
      expect(response.headers.get("allow")).toBe("GET, HEAD, OPTIONS, POST");
      const patch = await api.request("PATCH", "/api/flows/linear_flow");
      expectError(patch, 405, "METHOD_NOT_ALLOWED");
      expect(patch.headers.get("allow")).toBe("DELETE, GET, HEAD, OPTIONS");
    });

    test("an unknown path is 404 NOT_FOUND in the envelope", async () => {
      expectError(await api.request("GET", "/api/nothing/here"), 404, "NOT_FOUND");
    });

    test("bodies over ROUTILUX_MAX_BODY_BYTES are 413, sized or chunked", async () => {
      const big = JSON.stringify({ dsl: "x".repeat(1024 * 1024) });
      expectError(await api.request("POST", "/api/flows", big), 413, "PAYLOAD_TOO_LARGE");

      const chunked = await postChunked(`${api.url}/api/flows`, "x".repeat(64 * 1024), 20);
      expect(chunked.status).toBe(413);
      expect((JSON.parse(chunked.body) as ErrorBody).error.code).toBe("PAYLOAD_TOO_LARGE");
    });

    test("a body just under the limit is read", async () => {
      const dsl = `# ${"x".repeat(1024 * 1024 - 200)}\nroutines: {}\n`;
      const response = await api.request("POST", "/api/flows", { flow_id: "almost_too_big", dsl });
      expect(response.status, response.text.slice(0, 200)).toBe(201);
    });

    test("large responses are gzipped, small ones are not", async () => {
      const large = await api.request("GET", "/api/flows", undefined, { "accept-encoding": "gzip" });
      expect(large.text.length).toBeGreaterThan(1024);
      expect(large.headers.get("content-encoding")).toBe("gzip");
      FlowList.parse(large.body);
      const small = await api.request("GET", "/api/health", undefined, { "accept-encoding": "gzip" });
      expect(small.headers.get("content-encoding")).toBeNull();
      const refused = await api.request("GET", "/api/flows", undefined, { "accept-encoding": "identity" });
      expect(refused.headers.get("content-encoding")).toBeNull();
    });

    test("CORS: allowed origins get a preflight answer and headers; others get no Allow-Origin", async () => {
      const preflight = await fetch(`${api.url}/api/jobs`, {
        method: "OPTIONS",
        headers: {
          origin: "http://localhost:3000",
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, x-api-key",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      const allowed = preflight.headers.get("access-control-allow-headers")!.toLowerCase().split(",");
      expect(allowed).toEqual(expect.arrayContaining(["content-type", "x-api-key", "authorization"]));
      expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");

      const simple = await api.request("GET", "/api/health", undefined, { origin: "http://localhost:8000" });
      expect(simple.headers.get("access-control-allow-origin")).toBe("http://localhost:8000");

      const refused = await fetch(`${api.url}/api/jobs`, {
        method: "OPTIONS",
        headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
      });
      expect(refused.headers.get("access-control-allow-origin")).toBeNull();
      const refusedGet = await api.request("GET", "/api/health", undefined, {
        origin: "https://evil.example",
      });
      expect(refusedGet.headers.get("access-control-allow-origin")).toBeNull();
    });

    test("/openapi.json is an OpenAPI 3.1 document listing every route", async () => {
      const { status, body } = await api.request("GET", "/openapi.json");
      expect(status).toBe(200);
      expectValidOpenApi31(body);
    });

    test("/docs serves Swagger UI from local assets only, and they load", async () => {
      const page = await api.request("GET", "/docs");
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      const html = page.text;
      expect(html).not.toMatch(/https?:\/\//);
      expect(html).not.toMatch(/(src|href)="\/\//);
      const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(assets.length).toBeGreaterThanOrEqual(3);
      for (const asset of assets) {
        expect(asset.startsWith("/docs/assets/")).toBe(true);
        const response = await fetch(api.url + asset);
        expect(response.status, asset).toBe(200);
        expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(100);
      }
      expect(html).toContain('url: "/openapi.json"');
      expectError(await api.request("GET", "/docs/assets/index.html"), 404, "NOT_FOUND");
      expectError(await api.request("GET", "/docs/assets/..%2Fpackage.json"), 404, "NOT_FOUND");
    });
  });

  describe.skipIf(skip)("API keys", () => {
    let secured: TestServer;
    // biome-ignore lint/suspicious/noDuplicateTestHooks: describe.skipIf(skip)(…) opens its own block; Biome does not see that form as one
    beforeAll(async () => {
      secured = await startServer({ ROUTILUX_API_KEYS: "key-one, key-two" }, { target });
    });
    // biome-ignore lint/suspicious/noDuplicateTestHooks: describe.skipIf(skip)(…) opens its own block; Biome does not see that form as one
    afterAll(async () => {
      await secured?.close();
    });

    test("missing and wrong keys get the same 401", async () => {
      const missing = expectError(await secured.request("GET", "/api/jobs"), 401, "UNAUTHORIZED");
      const wrong = expectError(
        await secured.request("GET", "/api/jobs", undefined, { "x-api-key": "key-thr" }),
        401,
        "UNAUTHORIZED",
      );
      const wrongBearer = await secured.request("GET", "/api/jobs", undefined, {
        authorization: "Bearer nope",
      });
      expect(expectError(wrongBearer, 401, "UNAUTHORIZED").error.message).toBe(missing.error.message);
      expect(wrong.error.message).toBe(missing.error.message);
      expect(wrongBearer.headers.get("www-authenticate")).toContain("Bearer");
    });

    test("X-API-Key and Authorization: Bearer both work, for every configured key", async () => {
      expect((await secured.request("GET", "/api/jobs", undefined, { "x-api-key": "key-one" })).status).toBe(
        200,
      );
      expect(
        (await secured.request("GET", "/api/jobs", undefined, { authorization: "Bearer key-two" })).status,
      ).toBe(200);
      const started = await secured.request(
        "POST",
        "/api/jobs",
        { flow_id: "linear_flow", entry_routine_id: "source" },
        { "x-api-key": "key-two" },
      );
      expect(started.status).toBe(201);
    });

    test("the landing document, health, OpenAPI and docs stay public", async () => {
      for (const path of [
        "/",
        "/api/health",
        "/api/health/live",
        "/api/health/ready",
        "/openapi.json",
        "/docs",
      ]) {
        expect((await secured.request("GET", path)).status, path).toBe(200);
      }
      expect((await fetch(`${secured.url}/docs/assets/swagger-ui.css`)).status).toBe(200);
    });

    test("?api_key= counts on WebSocket paths only", async () => {
      expectError(await secured.request("GET", "/api/jobs?api_key=key-one"), 401, "UNAUTHORIZED");
      const ws = await secured.request("GET", "/api/ws/jobs/x/monitor?api_key=key-one");
      expect(ws.status).not.toBe(401);
      expectError(await secured.request("GET", "/ws?api_key=wrong"), 401, "UNAUTHORIZED");
    });

    test("CORS preflights need no key, and a 401 is readable cross-origin", async () => {
      const preflight = await fetch(`${secured.url}/api/jobs`, {
        method: "OPTIONS",
        headers: { origin: "http://localhost:3000", "access-control-request-method": "GET" },
      });
      expect(preflight.status).toBe(204);
      const denied = await secured.request("GET", "/api/jobs", undefined, {
        origin: "http://localhost:3000",
      });
      expect(denied.status).toBe(401);
      expect(denied.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
    });

    test.skipIf(target !== "node")("auth failures are audited with a key hash, never the key", async () => {
      await secured.request("GET", "/api/jobs", undefined, { "x-api-key": "not-a-key" });
      const entry = secured.audit.at(-1)!;
      expect(entry).toMatchObject({
        action: "auth",
        outcome: "denied",
        reason: "invalid",
        path: "/api/jobs",
      });
      expect(entry.key_hash).toMatch(/^[0-9a-f]{12}$/);
      expect(JSON.stringify(secured.audit)).not.toContain("not-a-key");
    });

    test("the OpenAPI document declares both schemes and requires one", async () => {
      const doc = (await secured.request("GET", "/openapi.json")).body as OpenApiDoc;
      expect(doc.components.securitySchemes).toMatchObject({
        ApiKeyHeader: { type: "apiKey", in: "header", name: "X-API-Key" },
        BearerAuth: { type: "http", scheme: "bearer" },
      });
      expect(doc.security).toEqual([{ ApiKeyHeader: [] }, { BearerAuth: [] }]);
      expect(doc.paths["/api/health"]!.get!.security).toEqual([]);
    });
  });
});

interface OpenApiOperation {
  parameters?: { name: string; in: string; required?: boolean }[];
  responses: Record<string, unknown>;
  security?: unknown[];
}
interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
  security: unknown[];
}

/** Every operation this team serves (the contract's tables, without dry-run, breakpoints, debug and WebSockets). */
const OPERATIONS = [
  "get /",
  "get /api/health",
  "get /api/health/live",
  "get /api/health/ready",
  "get /api/flows",
  "post /api/flows",
  "get /api/flows/{flow_id}",
  "delete /api/flows/{flow_id}",
  "get /api/flows/{flow_id}/dsl",
  "post /api/flows/{flow_id}/validate",
  "get /api/flows/{flow_id}/validate",
  "get /api/flows/{flow_id}/routines",
  "post /api/flows/{flow_id}/routines",
  "delete /api/flows/{flow_id}/routines/{routine_id}",
  "get /api/flows/{flow_id}/connections",
  "post /api/flows/{flow_id}/connections",
  "delete /api/flows/{flow_id}/connections/{connection_index}",
  "get /api/flows/{flow_id}/metrics",
  "post /api/jobs",
  "get /api/jobs",
  "get /api/jobs/{job_id}",
  "post /api/jobs/{job_id}/pause",
  "post /api/jobs/{job_id}/resume",
  "post /api/jobs/{job_id}/cancel",
  "get /api/jobs/{job_id}/status",
  "get /api/jobs/{job_id}/state",
  "get /api/jobs/{job_id}/metrics",
  "get /api/jobs/{job_id}/trace",
  "get /api/jobs/{job_id}/logs",
  "get /api/jobs/{job_id}/events",
];

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** The structural rules of OpenAPI 3.1 that a generator can get wrong, and the routes we promise. */
function expectValidOpenApi31(body: unknown): void {
  const doc = body as OpenApiDoc;
  expect(doc.openapi).toBe("3.1.0");
  expect(doc.info.title).toBeTruthy();
  expect(doc.info.version).toBeTruthy();

  const operations: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    expect(path.startsWith("/")).toBe(true);
    const templated = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
    for (const [method, operation] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      operations.push(`${method} ${path}`);
      expect(Object.keys(operation.responses).length, `${method} ${path}`).toBeGreaterThan(0);
      const pathParams = (operation.parameters ?? []).filter((p) => p.in === "path");
      expect(pathParams.map((p) => p.name).sort(), `${method} ${path}`).toEqual([...templated].sort());
      for (const p of pathParams) expect(p.required).toBe(true);
      if (method !== "get" && path !== "/") expect(Object.keys(operation.responses)).toContain("422");
    }
  }
  expect(operations.sort()).toEqual(expect.arrayContaining(OPERATIONS));

  // Every $ref points at a component that exists.
  const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map(
    (m) => m[1]!,
  );
  expect(refs.length).toBeGreaterThan(0);
  for (const ref of refs) expect(doc.components.schemas, ref).toHaveProperty(ref);
  for (const name of ["Job", "Flow", "Error", "JobList", "JobState"])
    expect(doc.components.schemas).toHaveProperty(name);
}

/**
 * POSTs `chunks` copies of `chunk` with chunked transfer encoding and resolves with the response, even when the
 * server answers (413) and closes before the upload ends. `fetch` rejects in that race ("other side closed") when
 * the close overtakes the response, which a loaded machine makes likely; a client that reads the response first,
 * as curl does, sees the 413.
 */
function postChunked(url: string, chunk: string, chunks: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: "POST", headers: { "content-type": "application/json" } });
    request.on("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (text: string) => {
        body += text;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
      response.on("error", reject);
    });
    // Writing after the server closed fails with EPIPE or ECONNRESET: the response (or its absence) is the result.
    request.on("error", (error) => setTimeout(() => reject(error), 1_000));
    let sent = 0;
    const writeMore = () => {
      while (sent < chunks) {
        sent++;
        if (!request.write(chunk)) return void request.once("drain", writeMore);
      }
      request.end();
    };
    writeMore();
  });
}
