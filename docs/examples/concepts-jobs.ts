import { compileFlow } from "../../src/core/compiled-flow.js";
import { InvalidStateError } from "../../src/core/errors.js";
import { Job } from "../../src/core/job.js";
import type { JobStatus } from "../../src/core/types.js";
import { parseAndValidateFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry } from "../../src/routines/index.js";

export async function main(): Promise<unknown> {
  const registry = defaultRegistry();
  const { flow } = parseAndValidateFlowDsl(
    {
      flow_id: "slow_items",
      routines: {
        source: { class: "DemoSource" },
        slow: { class: "DemoSlow", config: { delay_ms: 10 } },
        sink: { class: "Sink" },
      },
      connections: [
        { from: "source.output", to: "slow.input" },
        { from: "slow.output", to: "sink.input" },
      ],
      execution: { strategy: "concurrent", max_workers: 3 },
    },
    registry,
    { now: new Date().toISOString() },
  );
  const job = new Job({ job_id: "slow-1", flow: compileFlow(flow, registry) });
  const statuses: JobStatus[] = [job.status]; // pending

  job.start("source", { data: "x", count: 6 });
  statuses.push(job.status); // running
  job.pause();
  statuses.push(job.status); // paused: no handler starts until resume()

  let refused = "";
  try {
    job.pause(); // pause only a running job
  } catch (error) {
    if (error instanceof InvalidStateError) refused = error.message;
  }

  job.resume();
  const record = await job.done; // resolves by itself once nothing is queued or running
  statuses.push(record.status); // completed

  return { statuses, refused, results: (job.shared.results as unknown[]).length };
}
