import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { startWranglerDev, type WranglerDev } from "./wrangler-dev.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON of many shapes; the tests assert on its fields.
type Json = Record<string, any>;

let dev: WranglerDev;

beforeAll(async () => {
  dev = await startWranglerDev();
}, 120_000);

afterAll(async () => {
  await dev?.stop();
}, 30_000);

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${dev.url}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === "" ? {} : (JSON.parse(text) as Json) };
}

async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in time\n--- wrangler output ---\n${dev.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const waitForStatus = (job_id: string, status: string) =>
  eventually(async () => {
    const { body } = await api("GET", `/api/jobs/${job_id}`);
    return body.status === status ? body : undefined;
  });

async function startJob(entry_params: Json, extra: Json = {}): Promise<Json> {
  const { status, body } = await api("POST", "/api/jobs", {
    flow_id: "linear_flow",
    entry_routine_id: "source",
    entry_params,
    ...extra,
  });
  expect(status).toBe(201);
  return body;
}

describe("the Worker under wrangler dev (workerd, local Durable Objects)", () => {
  it("serves the demo flows and creates a flow", async () => {
    const { status, body } = await api("GET", "/api/flows");
    expect(status).toBe(200);
    expect(body.flows.map((flow: Json) => flow.flow_id).sort()).toEqual([
      "branching_flow",
      "complex_flow",
      "error_flow",
      "linear_flow",
    ]);
    const created = await api("POST", "/api/flows", {
      flow_id: "smoke_flow",
      dsl: "routines:\n  source: {class: DemoSource}\n  sink: {class: DemoSink}\nconnections:\n  - {from: source.output, to: sink.input}\n",
    });
    expect(created.status).toBe(201);
    expect(Object.keys(created.body.routines)).toEqual(["source", "sink"]);
    expect((await api("POST", "/api/flows", { flow_id: "smoke_flow" })).status).toBe(409);
    expect((await api("GET", "/openapi.json")).body.openapi).toBe("3.1.0");
  });

  it("starts a job, lists it with filters, and shows its state", async () => {
    const job = await startJob({ data: "hello", count: 3 });
    await waitForStatus(job.job_id, "completed");
    const { body: state } = await api("GET", `/api/jobs/${job.job_id}/state`);
    expect(state.shared_data.results).toEqual([
      { result: "HELLO", index: 0 },
      { result: "HELLO", index: 1 },
      { result: "HELLO", index: 2 },
    ]);
    const listed = await eventually(async () => {
      const { body } = await api("GET", "/api/jobs?flow_id=linear_flow&status=completed&limit=10");
      return body.jobs.some((j: Json) => j.job_id === job.job_id) ? body : undefined;
    });
    expect(listed).toMatchObject({ limit: 10, offset: 0 });
    expect(listed.jobs.every((j: Json) => j.flow_id === "linear_flow" && j.status === "completed")).toBe(
      true,
    );
    const none = await api("GET", "/api/jobs?flow_id=error_flow&status=completed");
    expect(none.body).toMatchObject({ jobs: [], total: 0 });
    expect((await api("GET", "/api/jobs?status=bogus")).status).toBe(422);
  });

  it("pauses at a breakpoint and resumes to the end", async () => {
    const job = await startJob(
      { data: "hello", count: 3 },
      {
        breakpoints: [
          { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index >= 2" },
        ],
      },
    );
    await waitForStatus(job.job_id, "paused");
    const { body: session } = await api("GET", `/api/jobs/${job.job_id}/debug/session`);
    expect(session).toMatchObject({
      status: "paused",
      paused_at: { routine_id: "transformer", slot_name: "input" },
    });
    const added = await api("POST", `/api/jobs/${job.job_id}/breakpoints`, {
      type: "routine",
      routine_id: "sink",
    });
    expect(added.status).toBe(201);
    expect(
      (await api("DELETE", `/api/jobs/${job.job_id}/breakpoints/${added.body.breakpoint_id}`)).status,
    ).toBe(204);

    const resumed = await api("POST", `/api/jobs/${job.job_id}/debug/resume`);
    expect(resumed.body).toEqual({ status: "resumed", job_id: job.job_id });
    await waitForStatus(job.job_id, "completed");
    expect((await api("POST", `/api/jobs/${job.job_id}/resume`)).status).toBe(409);
  });

  it("streams a job over one WebSocket: subscription, ping, and resume since a seq", async () => {
    const job = await startJob({ data: "ws", count: 2 }, { pause_on_start: true });
    await waitForStatus(job.job_id, "paused");
    const socket = await connect(`/api/ws/jobs/${job.job_id}/monitor`);
    await socket.next((m) => m.type === "job_paused");
    expect(socket.messages[0]).toMatchObject({ type: "connection:status", status: "connected" });
    expect(socket.messages[1]).toMatchObject({ type: "metrics", job_id: job.job_id });

    socket.send({ action: "ping" });
    expect(await socket.next((m) => m.type === "pong")).toHaveProperty("timestamp");

    let mark = socket.messages.length;
    socket.send({ action: "subscribe", events: ["job_resumed", "job_completed"] });
    expect(await socket.next((m) => m.type === "subscription", mark)).toMatchObject({
      subscribed_all: false,
      events: ["job_completed", "job_resumed"],
    });
    expect((await api("POST", `/api/jobs/${job.job_id}/resume`)).status).toBe(200);
    const completed = await socket.next((m) => m.type === "job_completed", mark);
    const live = socket.messages.slice(mark).filter((m) => typeof m.seq === "number");
    expect(live.map((m) => m.type)).toEqual(["job_resumed", "job_completed"]);

    // A client that saw up to seq 2 asks for the rest: exactly the events after it, all types again.
    mark = socket.messages.length;
    socket.send({ action: "subscribe_all" });
    await socket.next((m) => m.type === "subscription" && m.subscribed_all === true, mark);
    socket.send({ action: "resume", since: 2 });
    await socket.next((m) => m.seq === completed.seq, mark);
    const replayed = socket.messages.slice(mark).filter((m) => typeof m.seq === "number");
    const { body: page } = await api("GET", `/api/jobs/${job.job_id}/events?since=2`);
    expect(replayed).toEqual(page.events);
    expect(replayed[0]?.seq).toBe(3);
    socket.close();
  });
});

interface Socket {
  messages: Json[];
  send(message: Json): void;
  next(match: (message: Json) => boolean, from?: number): Promise<Json>;
  close(): void;
}

async function connect(path: string): Promise<Socket> {
  const ws = new WebSocket(`${dev.url.replace(/^http/, "ws")}${path}`);
  const messages: Json[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(String(data)) as Json));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return {
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    next: (match, from = 0) => eventually(async () => messages.slice(from).find(match)),
    close: () => ws.close(1000),
  };
}

describe("docs/deployment.md", () => {
  const doc = readFileSync(join(process.cwd(), "docs", "deployment.md"), "utf8");

  it("runs the Workers section's curl examples against wrangler dev", async () => {
    const section = doc.slice(doc.indexOf("### Try it locally"), doc.indexOf("### Deploy"));
    const commands = section.split("\n").filter((line) => line.startsWith("curl "));
    expect(commands).toHaveLength(3);
    const outputs = commands.map((command) =>
      JSON.parse(
        execFileSync("sh", ["-c", command.replaceAll("http://127.0.0.1:8787", dev.url)], {
          encoding: "utf8",
        }),
      ),
    );
    expect(outputs[0]).toEqual({ status: "healthy" });
    expect(outputs[1]).toMatchObject({ flow_id: "linear_flow" });
    expect(outputs[2].jobs.map((job: Json) => job.job_id)).toContain(outputs[1].job_id);
  });

  it("names only npm scripts that exist", () => {
    const scripts = Object.keys(
      JSON.parse(readFileSync(join(process.cwd(), "package.json"), "utf8")).scripts,
    );
    const named = [...doc.matchAll(/npm run ([a-z:-]+)/g)].map((match) => match[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const script of named) expect(scripts).toContain(script);
  });
});
