import { compileFlow } from "../../src/core/compiled-flow.js";
import { Job } from "../../src/core/job.js";
import type { JobEvent } from "../../src/core/types.js";
import { parseAndValidateFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry } from "../../src/routines/index.js";

const describe = (event: JobEvent): string =>
  [event.seq, event.type, event.data.routine_id, event.data.slot_name ?? event.data.event_name]
    .filter((part) => part !== undefined)
    .join(" ");

export async function main(): Promise<unknown> {
  const registry = defaultRegistry();
  const { flow } = parseAndValidateFlowDsl(
    {
      flow_id: "start_to_sink",
      routines: { start: { class: "Start" }, sink: { class: "Sink" } },
      connections: [{ from: "start.output", to: "sink.input" }],
    },
    registry,
    { now: new Date().toISOString() },
  );
  const job = new Job({ job_id: "events-1", flow: compileFlow(flow, registry) });

  // A listener sees each event as it is appended; it must only enqueue, never block or throw.
  let heard = 0;
  job.log.subscribe(() => heard++);

  job.start("start", { hello: "world" });
  await job.done;

  return {
    events: job.log.all().map(describe),
    // A reader that has seen up to seq 7 asks for the rest:
    after7: job.log.since(7).map((event) => event.type),
    heard,
  };
}
