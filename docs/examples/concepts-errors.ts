import { compileFlow } from "../../src/core/compiled-flow.js";
import { Job } from "../../src/core/job.js";
import { defineRoutine } from "../../src/core/routine.js";
import { parseAndValidateFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry } from "../../src/routines/index.js";

// Fails the first two times it is called in a job, then passes the payload on.
const Flaky = defineRoutine({
  name: "Flaky",
  slots: ["input"],
  events: ["output"],
  handlers: {
    input(payload, ctx) {
      const calls = Number(ctx.state.calls ?? 0) + 1;
      ctx.state.calls = calls;
      if (calls <= 2) throw new Error(`try ${calls} failed`);
      ctx.emit("output", payload);
    },
  },
});

async function run(error_handler: Record<string, unknown>) {
  const registry = defaultRegistry().register(Flaky);
  const { flow } = parseAndValidateFlowDsl(
    {
      flow_id: "flaky",
      routines: {
        start: { class: "Start" },
        flaky: { class: "Flaky", error_handler },
        sink: { class: "Sink" },
      },
      connections: [
        { from: "start.output", to: "flaky.input" },
        { from: "flaky.output", to: "sink.input" },
      ],
    },
    registry,
    { now: new Date().toISOString() },
  );
  const job = new Job({ job_id: "flaky-1", flow: compileFlow(flow, registry) });
  job.start("start", { order: 42 });
  const record = await job.done;
  const failures = job.log.all().filter((event) => event.type === "routine_failed");
  return { status: record.status, error: record.error, failures: failures.map((event) => event.data.status) };
}

export async function main(): Promise<unknown> {
  return {
    // Waits 0.01 s before the second call and 0.02 s before the third, which succeeds.
    retry: await run({ strategy: "retry", max_retries: 3, retry_delay: 0.01, retry_backoff: 2 }),
    // The first failure fails the job, with the routine's error.
    stop: await run({ strategy: "stop" }),
  };
}
