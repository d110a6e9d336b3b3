import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { hc } from "hono/client";
import { afterEach, expect, test } from "vitest";
import WebSocket from "ws";
import { jsonLogger } from "../../src/api/logger.js";
import {
  type AppType,
  createRoutilux,
  defineRoutine,
  FlowInvalidError,
  type Routilux,
  z,
} from "../../src/index.js";
import { listen } from "../../src/node.js";

/** The package API: your routines and flows in your own program, the engine at hand, the API as a Hono app. */

const Shout = defineRoutine({
  name: "Shout",
  slots: ["input"],
  events: ["output"],
  config: z.strictObject({ suffix: z.string().default("!") }),
  handlers: {
    input(payload, ctx) {
      ctx.emit("output", { text: `${String(payload.text).toUpperCase()}${ctx.config.suffix}` });
    },
  },
});

const SHOUT_FLOW = `
flow_id: shout
routines:
  start: { class: Start }
  shout: { class: Shout, config: { suffix: "!!" } }
  results: { class: Sink }
connections:
  - { from: start.output, to: shout.input }
  - { from: shout.output, to: results.input }
`;

const opened: Routilux[] = [];
async function open(options: Parameters<typeof createRoutilux>[0]) {
  const routilux = await createRoutilux(options);
  opened.push(routilux);
  return routilux;
}
afterEach(async () => {
  for (const routilux of opened.splice(0)) await routilux.close();
});

test("run() starts a job and `done` resolves with its record and shared data", async () => {
  const routilux = await open({ routines: [Shout], flows: [SHOUT_FLOW] });
  const { record, done } = await routilux.run("shout", "start", { text: "hello" });
  expect(record.status).toBe("running");
  const finished = await done;
  expect(finished.record.status).toBe("completed");
  expect(finished.shared_data).toEqual({ results: [{ text: "HELLO!!" }] });
});

test("the app is a Hono app to mount in your own, and it serves the same jobs", async () => {
  const routilux = await open({ routines: [Shout], flows: [SHOUT_FLOW] });
  const { record, done } = await routilux.run("shout", "start", { text: "mounted" });
  await done;
  const mine = new Hono().get("/hello", (c) => c.text("mine")).route("/", routilux.app);
  expect(await (await mine.request("/hello")).text()).toBe("mine");
  const job = await (await mine.request(`/api/jobs/${record.job_id}`)).json();
  expect(job).toMatchObject({ job_id: record.job_id, flow_id: "shout", status: "completed" });
});

test("AppType types hono/client calls against the app", async () => {
  const routilux = await open({ routines: [Shout], flows: [SHOUT_FLOW] });
  // No server: the client's requests go straight to the app. Its configuration says it listens on 127.0.0.1, so it
  // answers to the loopback names only (the Host check); another name would need `config.allowedHosts`.
  const client = hc<AppType>("http://localhost", {
    fetch: (...[input, init]: Parameters<typeof fetch>) => routilux.app.request(input, init),
  });
  const started = await client.api.jobs.$post({
    json: { flow_id: "shout", entry_routine_id: "start", entry_params: { text: "typed" } },
  });
  if (started.status !== 201) throw new Error(`unexpected ${started.status}`);
  const { job_id } = await started.json();
  await routilux.jobs.liveJob(job_id)!.done;
  const state = await client.api.jobs[":job_id"].state.$get({ param: { job_id } });
  if (state.status !== 200) throw new Error(`unexpected ${state.status}`);
  expect((await state.json()).shared_data).toEqual({ results: [{ text: "TYPED!!" }] });
});

test("an invalid flow fails createRoutilux and names the flow's position", async () => {
  const bad = "flow_id: bad\nroutines:\n  a: { class: Nope }\n";
  const error = await createRoutilux({ routines: [Shout], flows: [SHOUT_FLOW, bad] }).catch(
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FlowInvalidError);
  expect((error as FlowInvalidError).issues).toEqual(["flows[1]: routine 'a': unknown type 'Nope'"]);
});

test("the store is memory by default; { sqlite } keeps flows and finished jobs across instances", async () => {
  const dir = await mkdtemp(join(tmpdir(), "routilux-store-"));
  try {
    const file = join(dir, "routilux.db");
    const first = await createRoutilux({ routines: [Shout], flows: [SHOUT_FLOW], store: { sqlite: file } });
    const { record, done } = await first.run("shout", "start", { text: "kept" });
    await done;
    await first.close();

    const second = await open({ routines: [Shout], store: { sqlite: file } });
    expect((await second.jobs.get(record.job_id)).status).toBe("completed");
    expect((await second.flows.list()).map((flow) => flow.flow_id)).toContain("shout");

    const memory = await open({ routines: [Shout] });
    expect(await memory.flows.list()).toEqual([]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("demo: true brings the demo routines and flows; by default there are only the built-ins", async () => {
  const plain = await open({});
  expect(plain.registry.has("DemoSource")).toBe(false);
  expect(plain.registry.has("Mapper")).toBe(true);
  const demo = await open({ demo: true });
  expect((await demo.flows.list()).map((flow) => flow.flow_id)).toContain("linear_flow");
});

test("routilux/node's listen() serves it on Node: the API and a job's WebSocket stream", async () => {
  const routilux = await open({
    routines: [Shout],
    flows: [SHOUT_FLOW],
    config: { port: 0, host: "127.0.0.1" },
  });
  const server = await listen(routilux, { logger: jsonLogger({ write: () => {} }) });
  try {
    const { record, done } = await routilux.run("shout", "start", { text: "served" });
    await done;
    const job = await (await fetch(`${server.url}/api/jobs/${record.job_id}`)).json();
    expect(job).toMatchObject({ status: "completed" });
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/api/ws/jobs/${record.job_id}/monitor`);
    const types: string[] = [];
    await new Promise<void>((resolve, reject) => {
      socket.on("message", (data) => {
        const message = JSON.parse(String(data)) as { type: string };
        types.push(message.type);
        if (message.type === "job_completed") resolve();
      });
      socket.on("error", reject);
    });
    socket.close();
    expect(types).toEqual(expect.arrayContaining(["connection:status", "job_started", "job_completed"]));
  } finally {
    await server.close();
  }
});

test("HttpFetch follows config's fetch policy, checking the resolved address on Node", async () => {
  const { createServer } = await import("node:http");
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.end("inside");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  const flow = {
    flow_id: "outbound",
    routines: {
      start: { class: "Start" },
      fetch: { class: "HttpFetch", config: { url: "{{url}}", on_error: "fail" } },
      results: { class: "Sink" },
    },
    connections: [
      { from: "start.output", to: "fetch.input" },
      { from: "fetch.response", to: "results.input" },
    ],
  };
  try {
    const strict = await open({ flows: [flow] });
    const refused = await (await strict.run("outbound", "start", { url: `http://127.0.0.1:${port}/` })).done;
    expect(refused.record.error).toBe("Routine 'fetch' failed: destination not allowed: 127.0.0.1");
    // `localhost` reaches 127.0.0.1:<port> only because the connector resolved it and checked that address.
    const allowing = await open({ flows: [flow], config: { fetchAllow: [`127.0.0.1:${port}`] } });
    const fetched = await (await allowing.run("outbound", "start", { url: `http://localhost:${port}/` }))
      .done;
    expect(fetched.shared_data).toEqual({
      results: [expect.objectContaining({ status: 200, body: "inside" })],
    });
    expect(hits).toBe(1);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
