import { expect, test } from "vitest";
import { compileFlow } from "../../src/core/compiled-flow.js";
import { Job } from "../../src/core/job.js";
import { exportFlowDsl, parseAndValidateFlowDsl } from "../../src/dsl/index.js";
import { defaultRegistry, demoFlows } from "../../src/routines/index.js";

/** The code of docs/dsl.md, run as written (test/dsl/docs.test.ts checks the page still shows this code). */
test("docs/dsl.md: from code", async () => {
  const yamlText = exportFlowDsl(demoFlows("2026-01-15T08:30:00.000Z")[0]!, "yaml");

  const registry = defaultRegistry();
  const { flow, warnings } = parseAndValidateFlowDsl(yamlText, registry, { now: new Date().toISOString() });
  const job = new Job({ job_id: "job-1", flow: compileFlow(flow, registry) });
  job.start("source", { data: "hello", count: 3 });
  await job.done;

  const text = exportFlowDsl(flow, "yaml");

  expect(warnings).toEqual(["routine 'validator': event 'invalid' has no listener"]);
  expect(job.shared.results).toHaveLength(3);
  expect(text).toBe(yamlText);
});
