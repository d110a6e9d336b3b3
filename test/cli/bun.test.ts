import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { bunAvailable } from "../support/server.js";
import { DOUBLE_FLOW, DOUBLE_ROUTINE } from "./fixtures.js";
import { Child, httpApi, REPO, type TempProject, tempProject } from "./support.js";

/** `routilux serve` on Bun: Bun.serve, TypeScript routines loaded by Bun itself, flows and routines reloaded. */

const BUN = join(REPO, "node_modules/.bin/bun");
const CLI = join(REPO, "src/entry/cli.ts");
const runnable = bunAvailable();

let project: TempProject;
beforeAll(async () => {
  project = await tempProject();
});
afterAll(() => project?.remove());

test.runIf(runnable)(
  "serves the user's routines and flows; a saved routine module is loaded again",
  async () => {
    const routine = await project.write("routines/double.ts", DOUBLE_ROUTINE);
    await project.write("flows/double.yaml", DOUBLE_FLOW);
    const server = new Child(BUN, [CLI, "serve", "--routines", "routines", "--flows", "flows", "--watch"], {
      cwd: project.dir,
      env: { ROUTILUX_PORT: "0", ROUTILUX_HOST: "127.0.0.1", ROUTILUX_STORE: "memory" },
    });
    try {
      const [, url] = await server.waitFor(/Routilux listening on (http:\/\/\S+)/);
      const api = httpApi(url!);
      const first = await api.startJob("double", "start", { value: 5 });
      await api.waitForStatus(first.job_id, "completed");
      expect((await api.state(first.job_id)).shared_data).toEqual({ results: [{ value: 15 }] });

      await writeFile(routine, DOUBLE_ROUTINE.replace("value * ctx.config.factor", "-value"));
      await server.waitFor(/reloaded flow 'double' from flows\/double\.yaml/);
      const second = await api.startJob("double", "start", { value: 5 });
      await api.waitForStatus(second.job_id, "completed");
      expect((await api.state(second.job_id)).shared_data).toEqual({ results: [{ value: -5 }] });
    } finally {
      await server.stop();
    }
  },
);
