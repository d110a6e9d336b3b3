import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MemoryStore } from "../../src/service/memory-store.js";
import type { Store } from "../../src/service/store.js";
import { type DebugApi, startDebugServer } from "./support/debug-api.js";

/**
 * `POST /api/flows/{flow_id}/dry-run`: the same routine order as a real run of the same input, with no job
 * created and nothing written to the store.
 */

const DEMO_FLOWS = ["linear_flow", "branching_flow", "complex_flow", "error_flow"] as const;
const INPUT = { data: "hello", count: 3 };

const WRITES = new Set<PropertyKey>([
  "saveFlow",
  "deleteFlow",
  "saveJob",
  "appendEvents",
  "truncateEvents",
  "saveBreakpoint",
  "deleteBreakpoint",
  "sweep",
]);

/** The real store, with every call to a method that writes counted on the way through. */
function countingWrites(store: Store): { store: Store; writes: () => number } {
  let writes = 0;
  const counted = new Proxy(store, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== "function") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (!WRITES.has(key)) return method.bind(target);
      return (...args: unknown[]) => {
        writes++;
        return method.apply(target, args);
      };
    },
  });
  return { store: counted, writes: () => writes };
}

interface DryRunReply {
  valid: boolean;
  trace: { seq: number; type: string; routine_id?: string }[];
  outputs: Record<string, unknown>;
  would_call: string[];
  issues: string[];
}

const routineOrder = (trace: DryRunReply["trace"]): string[] =>
  trace.filter((entry) => entry.type === "slot_called").map((entry) => String(entry.routine_id));

describe("dry-run", () => {
  let api: DebugApi;
  let writes: () => number;

  beforeAll(async () => {
    const counting = countingWrites(new MemoryStore());
    writes = counting.writes;
    api = await startDebugServer({}, { store: counting.store });
  });
  afterAll(() => api?.close());

  const dryRun = async (flow_id: string, body: Record<string, unknown>) => {
    const response = await api.request<DryRunReply>("POST", `/api/flows/${flow_id}/dry-run`, body);
    expect(response.status, response.text).toBe(200);
    return response.body;
  };

  // First, before any job of this server: the store has seen only the demo flows being registered.
  test("of every demo flow creates no job and writes nothing to the store", async () => {
    const writesBefore = writes();
    expect(writesBefore).toBeGreaterThan(0); // the wrapper does see writes
    for (const flow_id of DEMO_FLOWS) {
      const reply = await dryRun(flow_id, { entry_routine_id: "source", entry_params: INPUT });
      expect(reply.valid).toBe(true);
      expect(reply.trace.length).toBeGreaterThan(0);
    }
    expect(writes()).toBe(writesBefore);
    expect((await api.request<{ total: number }>("GET", "/api/jobs")).body.total).toBe(0);
  });

  test.each(DEMO_FLOWS)("of %s delivers to the routines in the order a real run does", async (flow_id) => {
    const dry = await dryRun(flow_id, { entry_routine_id: "source", entry_params: INPUT });
    const { job_id } = await api.startJob(flow_id, INPUT);
    await api.waitForStatus(job_id, "completed");
    expect(routineOrder(dry.trace)).toEqual(await api.deliveries(job_id));
    expect(dry.outputs).toEqual({ results: await api.results(job_id) });
    // The flow's validation warnings, and nothing else: the run itself went well.
    const validation = await api.request<{ issues: string[] }>("GET", `/api/flows/${flow_id}/validate`);
    expect(dry.issues).toEqual(validation.body.issues);
  });

  test("reports the failure of a routine as an issue, like the failed real run", async () => {
    const dry = await dryRun("error_flow", { entry_routine_id: "source", entry_params: { data: "fail" } });
    const { job_id } = await api.startJob("error_flow", { data: "fail" });
    const job = await api.waitForStatus(job_id, "failed");
    expect(dry.issues).toContain(job.error);
    expect(routineOrder(dry.trace)).toEqual(await api.deliveries(job_id));
  });

  test("mocks stand in for a routine: it emits the given payloads instead of running", async () => {
    const dry = await dryRun("linear_flow", {
      entry_routine_id: "source",
      entry_params: { data: "hello", count: 2 },
      mocks: { validator: { valid: { data: "mocked", index: 7 } } },
    });
    expect(dry.outputs).toEqual({
      results: [
        { result: "MOCKED", index: 7 },
        { result: "MOCKED", index: 7 },
      ],
    });
  });

  test("routines with side effects are stubbed and listed in would_call", async () => {
    const created = await api.request("POST", "/api/flows", {
      flow_id: "delayed_flow",
      dsl_dict: {
        routines: {
          source: { class: "DemoSource" },
          wait: { class: "Delay", config: { ms: 60_000 } },
          sink: { class: "DemoSink" },
        },
        connections: [
          { from: "source.output", to: "wait.input" },
          { from: "wait.output", to: "sink.input" },
        ],
      },
    });
    expect(created.status, created.text).toBe(201);
    const dry = await dryRun("delayed_flow", { entry_routine_id: "source", entry_params: { data: "x" } });
    expect(dry.would_call).toEqual(["wait"]);
    expect(routineOrder(dry.trace)).toEqual(["source", "wait"]);
  });

  test("max_steps stops a long run and says so", async () => {
    const dry = await dryRun("linear_flow", {
      entry_routine_id: "source",
      entry_params: { data: "hello", count: 100 },
      max_steps: 10,
    });
    expect(routineOrder(dry.trace).length).toBeLessThanOrEqual(11);
    expect(dry.issues).toContainEqual(expect.stringContaining("stopped after max_steps (10)"));
  });

  test("unknown flow, entry routine and mocked routine are refused with their codes", async () => {
    const codeOf = async (flow_id: string, body: unknown) =>
      (await api.request<{ error: { code: string } }>("POST", `/api/flows/${flow_id}/dry-run`, body)).body
        .error.code;
    expect(await codeOf("nope", { entry_routine_id: "source" })).toBe("FLOW_NOT_FOUND");
    expect(await codeOf("linear_flow", { entry_routine_id: "nope" })).toBe("ROUTINE_NOT_FOUND");
    expect(await codeOf("linear_flow", { entry_routine_id: "source", mocks: { nope: {} } })).toBe(
      "DSL_INVALID",
    );
    expect(await codeOf("linear_flow", {})).toBe("VALIDATION_ERROR");
  });
});
