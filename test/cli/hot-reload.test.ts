import { rm, writeFile } from "node:fs/promises";
import { afterEach, beforeEach, expect, test } from "vitest";
import { DOUBLE_ROUTINE, versionedFlow } from "./fixtures.js";
import { type Child, httpApi, serve, type TempProject, tempProject } from "./support.js";

/**
 * `routilux serve --watch`: a changed flow file replaces its flow for the next job, while a job that was running
 * finishes on the version it started with; routine modules are imported again; every reload is reported.
 */

let project: TempProject;
let server: { child: Child; url: string } | undefined;

beforeEach(async () => {
  project = await tempProject();
});
afterEach(async () => {
  await server?.child.stop();
  server = undefined;
  await project.remove();
});

const resultsOf = async (api: ReturnType<typeof httpApi>, job_id: string) =>
  (await api.state(job_id)).shared_data.results;

test("the next job uses the changed flow; the job that was running finishes on the old one", async () => {
  const file = await project.write("flows/versioned.yaml", versionedFlow(1, 1500));
  server = await serve(["--flows", "flows", "--watch"], { cwd: project.dir });
  const api = httpApi(server.url);
  await server.child.waitFor(/loaded flow 'versioned' from flows\/versioned\.yaml/);

  const slow = await api.startJob("versioned", "start");
  await writeFile(file, versionedFlow(2));
  await server.child.waitFor(/reloaded flow 'versioned' from flows\/versioned\.yaml/);

  const quick = await api.startJob("versioned", "start");
  await api.waitForStatus(quick.job_id, "completed");
  expect(await resultsOf(api, quick.job_id)).toEqual([{ version: 2 }]);
  // Still waiting in its Delay when the new version finished: it started on version 1 and ends on it.
  expect((await api.call<{ status: string }>("GET", `/api/jobs/${slow.job_id}`)).status).toBe("running");
  await api.waitForStatus(slow.job_id, "completed");
  expect(await resultsOf(api, slow.job_id)).toEqual([{ version: 1 }]);
});

test("an invalid edit is reported and the previous version keeps serving; a deleted file removes its flow", async () => {
  const file = await project.write("flows/versioned.yaml", versionedFlow(1));
  await project.write("flows/broken.yaml", "routines:\n  a: { class: Nope }\n");
  server = await serve(["--flows", "flows", "--watch"], { cwd: project.dir });
  const api = httpApi(server.url);
  // At start-up a bad file is reported with its reason and skipped; the rest serve.
  await server.child.waitFor(
    /flows\/broken\.yaml: invalid, skipped\n\s+error: routine 'a': unknown type 'Nope'/,
  );
  await server.child.waitFor(/1 flow\(s\) served from flows, 1 skipped/);

  await writeFile(file, "routines:\n  start: { class: Strat }\n");
  await server.child.waitFor(/flows\/versioned\.yaml: invalid, flow 'versioned' keeps its previous version/);
  const job = await api.startJob("versioned", "start");
  await api.waitForStatus(job.job_id, "completed");
  expect(await resultsOf(api, job.job_id)).toEqual([{ version: 1 }]);

  await rm(file);
  await server.child.waitFor(/removed flow 'versioned' \(flows\/versioned\.yaml was deleted\)/);
  const gone = await fetch(`${server.url}/api/flows/versioned`);
  expect(gone.status).toBe(404);
});

test.each([
  ["an ES module", '{ "type": "module" }'],
  ['CommonJS (no "type": "module")', "{}"],
])(
  "a changed TypeScript routine module (%s) is imported again; the next job runs the new handler",
  async (_, pkg) => {
    await project.write("package.json", pkg);
    const routine = await project.write("routines/double.ts", DOUBLE_ROUTINE);
    await project.write(
      "flows/double.yaml",
      "routines:\n  start: { class: Start }\n  double: { class: Double }\n  results: { class: Sink }\n" +
        "connections:\n  - { from: start.output, to: double.input }\n  - { from: double.output, to: results.input }\n",
    );
    server = await serve(["--routines", "routines", "--flows", "flows", "--watch"], { cwd: project.dir });
    const api = httpApi(server.url);
    const before = await api.startJob("double", "start", { value: 5 });
    await api.waitForStatus(before.job_id, "completed");
    expect(await resultsOf(api, before.job_id)).toEqual([{ value: 10 }]);

    await writeFile(
      routine,
      DOUBLE_ROUTINE.replace("value * ctx.config.factor", "value * ctx.config.factor + 1"),
    );
    await server.child.waitFor(/reloaded routines Double from routines\/double\.ts/);
    await server.child.waitFor(/reloaded flow 'double' from flows\/double\.yaml/);

    const after = await api.startJob("double", "start", { value: 5 });
    await api.waitForStatus(after.job_id, "completed");
    expect(await resultsOf(api, after.job_id)).toEqual([{ value: 11 }]);
  },
);
