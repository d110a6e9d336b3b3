import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, test } from "vitest";
import { type Child, httpApi, routilux, serve, type TempProject, tempProject } from "./support.js";

/**
 * `routilux serve` (what `npm start` runs) and `routilux run` give HttpFetch the policy of ROUTILUX_FETCH_* and the
 * connector that checks resolved addresses.
 */

const FETCH_FLOW = `flow_id: fetch
routines:
  start: { class: Start }
  fetch: { class: HttpFetch, config: { url: "{{target}}", on_error: fail } }
  sink: { class: Sink }
connections:
  - { from: start.output, to: fetch.input }
  - { from: fetch.response, to: sink.input }
`;

let project: TempProject;
let local: Server;
let port: number;
let hits = 0;
const servers: Child[] = [];

beforeAll(async () => {
  project = await tempProject();
  await project.write("flows/fetch.yaml", FETCH_FLOW);
  local = createServer((_req, res) => {
    hits++;
    res.end("inside");
  });
  await new Promise<void>((resolve) => local.listen(0, "127.0.0.1", resolve));
  port = (local.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const child of servers) await child.stop();
  local?.closeAllConnections();
  await new Promise((resolve) => local?.close(resolve));
  await project?.remove();
});

test("serve refuses a loopback target by default, and reaches it through a name once allowed", async () => {
  const strict = await serve(["--flows", "flows"], { cwd: project.dir });
  servers.push(strict.child);
  const api = httpApi(strict.url);
  const refused = await api.startJob("fetch", "start", { target: `http://127.0.0.1:${port}/` });
  const failed = await api.waitForStatus(refused.job_id, "failed");
  expect(failed.error).toBe("Routine 'fetch' failed: destination not allowed: 127.0.0.1");
  expect(hits).toBe(0);

  const allowing = await serve(["--flows", "flows"], {
    cwd: project.dir,
    env: { ROUTILUX_FETCH_ALLOW: `127.0.0.1:${port}` },
  });
  servers.push(allowing.child);
  const allowedApi = httpApi(allowing.url);
  // `localhost` is let through only because its resolved address, 127.0.0.1:<port>, is on the list.
  const job = await allowedApi.startJob("fetch", "start", { target: `http://localhost:${port}/` });
  await allowedApi.waitForStatus(job.job_id, "completed");
  expect((await allowedApi.state(job.job_id)).shared_data.results).toEqual([
    expect.objectContaining({ status: 200, body: "inside" }),
  ]);
  expect(hits).toBe(1);
});

test("run refuses a loopback target", async () => {
  const before = hits;
  const result = await routilux(
    ["run", "flows/fetch.yaml", "--params", JSON.stringify({ target: `http://localhost:${port}/` })],
    {
      cwd: project.dir,
    },
  );
  expect(result.code).not.toBe(0);
  expect(result.stdout + result.stderr).toContain("destination not allowed: localhost");
  expect(hits).toBe(before);
});
