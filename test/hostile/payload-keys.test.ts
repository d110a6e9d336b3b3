import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { defineRoutine } from "../../src/core/routine.js";
import type { JobRecord } from "../../src/core/types.js";
import { jobMetrics, jobState } from "../../src/core/views.js";
import { registryWith, runFlow, sketchFlow } from "../support/engine.js";
import { startServer, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/**
 * Payload keys are data: the names Object.prototype already has behave like any other key in entry params,
 * emitted payloads, append and override merges, param_mapping, shared data and the state and variables views.
 */

guardPrototype();

const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "toString", "valueOf", "hasOwnProperty"];

/** `{[key]: value}` with `key` as an own property, whatever it is (a literal `__proto__:` would set the prototype). */
const own = (key: string, value: unknown): Record<string, unknown> =>
  Object.defineProperty({}, key, { value, enumerable: true, writable: true, configurable: true });

type StateBody = { status: string; shared_data: { results?: Record<string, unknown>[] } };

let api: TestServer;

beforeAll(async () => {
  api = await startServer();
  const flows = {
    keys_append: {
      routines: {
        source: { class: "Start" },
        aggregator: { class: "DemoAggregator", config: { size: 1 } },
        sink: { class: "DemoSink" },
      },
      connections: [
        { from: "source.output", to: "aggregator.input" },
        { from: "aggregator.output", to: "sink.input" },
      ],
    },
    keys_override: {
      routines: { source: { class: "Start" }, sink: { class: "DemoSink" } },
      connections: [{ from: "source.output", to: "sink.input" }],
    },
  };
  for (const [flow_id, dsl_dict] of Object.entries(flows)) {
    const created = await api.request("POST", "/api/flows", { flow_id, dsl_dict });
    expect(created.status, created.text).toBe(201);
  }
});

afterAll(() => api?.close());

async function finished(job_id: string): Promise<{ record: JobRecord; state: StateBody }> {
  const record = await api.waitForStatus(job_id, ["completed", "failed", "cancelled"]);
  const state = await api.request<StateBody>("GET", `/api/jobs/${job_id}/state`);
  expect(state.status, state.text).toBe(200);
  return { record, state: state.body };
}

describe.each(HOSTILE_KEYS)("the key %s", (key) => {
  test("in entry params through an append merge is one more key of the merged payload", async () => {
    const job = await api.startJob("keys_append", { ...own(key, 1), data: "x" });
    const { record, state } = await finished(job.job_id);
    expect(record, record.error ?? "").toMatchObject({ status: "completed", error: null });
    const item = (state.shared_data.results![0]!.items as Record<string, unknown>[])[0]!;
    expect(Object.hasOwn(item, key)).toBe(true);
    expect(item[key]).toBe(1);
    await expectHealthy(api);
  });

  test("in an emitted payload through an override merge arrives as it was sent", async () => {
    const job = await api.startJob("keys_override", { ...own(key, "v"), data: "x" });
    const { record, state } = await finished(job.job_id);
    expect(record.status).toBe("completed");
    const result = state.shared_data.results![0]!;
    expect(Object.hasOwn(result, key)).toBe(true);
    expect(result[key]).toBe("v");
  });

  test("in a param_mapping renames like any key, both as source and as target", async () => {
    const flow_id = `keys_mapping_${HOSTILE_KEYS.indexOf(key)}`;
    // The DSL refuses a `__proto__` key anywhere in a document (a clear 400); as a mapping's target it is a value.
    const param_mapping = key === "__proto__" ? { data: key } : { ...own(key, "renamed"), data: key };
    const created = await api.request("POST", "/api/flows", {
      flow_id,
      dsl_dict: {
        routines: { source: { class: "Start" }, sink: { class: "DemoSink" } },
        connections: [{ from: "source.output", to: "sink.input", param_mapping }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const job = await api.startJob(flow_id, { ...own(key, "k"), data: "d" });
    const { record, state } = await finished(job.job_id);
    expect(record.status).toBe("completed");
    const result = state.shared_data.results![0]!;
    expect(result.renamed).toBe(key === "__proto__" ? undefined : "k");
    expect(Object.hasOwn(result, key)).toBe(true);
    expect(result[key]).toBe("d");
  });

  test("in the variables view of a paused job is one variable", async () => {
    const job = await api.startJob("keys_override", { ...own(key, 7) }, { pause_on_start: true });
    await api.waitForStatus(job.job_id, "paused");
    const view = await api.request<{ variables: Record<string, unknown> }>(
      "GET",
      `/api/jobs/${job.job_id}/debug/variables`,
    );
    expect(view.status, view.text).toBe(200);
    expect(Object.hasOwn(view.body.variables, key)).toBe(true);
    expect(view.body.variables[key]).toBe(7);
    await api.request("POST", `/api/jobs/${job.job_id}/cancel`);
  });

  test("as a name in shared data and routine state is a key of the state view", async () => {
    const WritesKeys = defineRoutine({
      name: "WritesKeys",
      slots: ["trigger"],
      events: [],
      handlers: {
        trigger(payload, ctx) {
          ctx.shared[key] = payload.value;
          ctx.state[key] = payload.value;
        },
      },
    });
    const flow = sketchFlow({ routines: { [key]: "WritesKeys" } });
    const { job, record } = await runFlow(flow, {
      registry: registryWith(WritesKeys),
      entry: key,
      params: { value: 3 },
    });
    expect(record, record.error ?? "").toMatchObject({ status: "completed" });
    expect(Object.hasOwn(job.shared, key)).toBe(true);
    expect(Object.hasOwn(job.routineState(key), key)).toBe(true);
    const state = jobState(job.record(), [key], job.log.all(), {
      shared: job.shared,
      current_routine_id: null,
      pending_tasks: [],
    });
    const parsed = JSON.parse(JSON.stringify(state));
    expect(parsed.shared_data[key]).toBe(3);
    expect(Object.hasOwn(parsed.routine_states, key)).toBe(true);
    expect(parsed.routine_states[key]).toMatchObject({ status: "completed", execution_count: 1 });
    const metrics = JSON.parse(JSON.stringify(jobMetrics(job.record(), job.log.all())));
    expect(metrics.routine_metrics[key]).toMatchObject({ execution_count: 1 });
  });
});

describe("a fault outside a handler fails that job, never the process", () => {
  test("an event listener that throws fails the job with the reason", async () => {
    const flow = sketchFlow({
      routines: { source: "DemoSource", sink: "DemoSink" },
      connections: ["source.output -> sink.input"],
    });
    const { startJob, runToEnd } = await import("../support/engine.js");
    const job = startJob(flow, { params: { data: "x", count: 3 } });
    job.log.subscribe((event) => {
      if (event.type === "routine_completed") throw new Error("listener broke");
    });
    const record = await runToEnd(job);
    expect(record.status).toBe("failed");
    expect(record.error).toContain("listener broke");
  });
});
