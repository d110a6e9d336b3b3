import "@hono/zod-openapi";
import type { AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { WebSocketServer } from "ws";
import { silentLogger } from "../src/api/logger.js";
import { nodeSocketAccess, WsHub } from "../src/api/ws/index.js";
import { eventText } from "../src/api/ws/protocol.js";
import { type Config, loadConfig } from "../src/config.js";
import { JOB_EVENT_TYPES } from "../src/core/types.js";
import { startNodeServer } from "../src/entry/node.js";
import { defaultRegistry } from "../src/routines/index.js";
import { MemoryStore } from "../src/service/memory-store.js";
import { createServices, type Services } from "../src/service/services.js";
import { linearFlowDsl } from "../test/support/linear-flow-dsl.js";
import type { BenchRow } from "./report.js";

/**
 * What the WebSocket layer delivers (run alone: `npm run bench -- ws`):
 * - events/s reaching 1, 10 and 100 local clients on `subscribe_all`, beside a bare `ws` server pushing the same
 *   messages to the same clients (the ceiling of this machine);
 * - bytes per client subscribed to `job_*` only versus `subscribe_all` on the four demo flows;
 * - how much a client that stopped reading slows a 50 000-event job (busy time beside a twin job with no client).
 * Clients run in a worker thread, so the server's event loop is the server's alone.
 */

/** The clients: N sockets in a worker; they count bytes and frames, and report when each saw the end marker. */
const CLIENTS_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const WebSocket = require(workerData.wsModule);
const { url, count, setup, readyMarker, endMarker } = workerData;
const marker = Buffer.from(endMarker);
const readyAt = readyMarker === null ? null : Buffer.from(readyMarker);
const clients = [];
let ready = 0;
let done = 0;
const isReady = () => {
  if (++ready === count) parentPort.postMessage({ type: "ready" });
};
for (let i = 0; i < count; i++) {
  const client = { bytes: 0, frames: 0, done: false, ready: readyAt === null };
  const ws = new WebSocket(url, { perMessageDeflate: false });
  ws.on("open", () => {
    for (const message of setup) ws.send(JSON.stringify(message));
    if (client.ready) isReady();
  });
  ws.on("message", (data) => {
    if (!client.ready) {
      // Counting starts once the socket is set up (its first messages are not part of what is measured).
      if (data.includes(readyAt)) {
        client.ready = true;
        isReady();
      }
      return;
    }
    client.bytes += data.length;
    client.frames++;
    if (!client.done && data.includes(marker)) {
      client.done = true;
      if (++done === count) {
        parentPort.postMessage({ type: "done", bytes: clients.map((c) => c.bytes), frames: clients.map((c) => c.frames) });
        for (const c of clients) c.ws.terminate();
      }
    }
  });
  client.ws = ws;
  clients.push(client);
}
`;

interface ClientReport {
  bytes: number[];
  frames: number[];
}

/**
 * Starts `count` clients on `url`, each sending `setup` once open. `ready` resolves once every client has received a
 * frame containing `readyMarker` (or is open, when null); `done` once every client has received `endMarker`.
 */
function clientsOn(
  url: string,
  count: number,
  markers: { ready: string | null; end: string },
  setup: unknown[] = [],
) {
  const worker = new Worker(CLIENTS_WORKER, {
    eval: true,
    workerData: {
      url,
      count,
      setup,
      readyMarker: markers.ready,
      endMarker: markers.end,
      wsModule: require.resolve("ws"),
    },
  });
  let markReady!: () => void;
  let markDone!: (report: ClientReport) => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  const done = new Promise<ClientReport>((resolve, reject) => {
    markDone = resolve;
    worker.once("error", reject);
  });
  worker.on("message", (message: { type: string } & ClientReport) => {
    if (message.type === "ready") markReady();
    else markDone(message);
  });
  return { ready, done, stop: () => worker.terminate() };
}

// A CommonJS `require` for resolving the ws package path from this ESM module.
const require = (await import("node:module")).createRequire(import.meta.url);

interface Server {
  url: string;
  services: Services;
  hub: WsHub;
  close(): Promise<void>;
}

async function startServer(overrides: Partial<Config> = {}, retainJobs?: number): Promise<Server> {
  const config: Config = { ...loadConfig({}), port: 0, host: "127.0.0.1", store: "memory", ...overrides };
  const services = await createServices({
    store: new MemoryStore(),
    registry: defaultRegistry(),
    onError: () => {},
    retention: { jobs: retainJobs },
  });
  const hub = new WsHub({ jobs: services.jobs, flows: services.flows, config, access: nodeSocketAccess });
  const server = await startNodeServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    ws: hub,
    logger: silentLogger,
    audit: { record: () => {} },
    closeGraceMs: 100,
  });
  return {
    url: server.url.replace(/^http/, "ws"),
    services,
    hub,
    close: async () => {
      await server.close();
      await services.close();
    },
  };
}

const startDemoJob = (services: Services, flow_id: string, count: number) =>
  services.jobs.start({ flow_id, entry_routine_id: "source", entry_params: { data: "bench", count } });

/** events/s delivered to `clients` flow-monitor sockets (subscribe_all) for one job of `count` items. */
async function deliveryRate(server: Server, clients: number, count: number) {
  const group = clientsOn(`${server.url}/api/ws/flows/linear_flow/monitor`, clients, {
    ready: '"type":"flow_metrics"',
    end: '"type":"job_completed"',
  });
  await group.ready;
  const started = performance.now();
  const record = await startDemoJob(server.services, "linear_flow", count);
  const report = await group.done;
  const seconds = (performance.now() - started) / 1000;
  await group.stop();
  const { events } = await server.services.jobs.events(record.job_id, 0, Number.MAX_SAFE_INTEGER);
  const frames = report.frames.reduce((a, b) => a + b, 0);
  return { rate: frames / seconds, events: events.length, frames, seconds };
}

/** The same messages from a bare `ws` server: each client gets every text, with the same socket high-water mark. */
async function rawRate(texts: string[], clients: number) {
  const wss = new WebSocketServer({ port: 0, host: "127.0.0.1", perMessageDeflate: false });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const { port } = wss.address() as AddressInfo;
  const group = clientsOn(`ws://127.0.0.1:${port}`, clients, { ready: null, end: '"type":"bench_end"' });
  await group.ready;
  const sockets = [...wss.clients];
  const all = [...texts, JSON.stringify({ type: "bench_end" })];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const sent = new Array<number>(sockets.length).fill(0);
    const pump = () => {
      let pending = false;
      for (let i = 0; i < sockets.length; i++) {
        const socket = sockets[i]!;
        let n = sent[i]!;
        for (let batch = 0; batch < 256 && n < all.length && socket.bufferedAmount < 256 * 1024; batch++) {
          socket.send(all[n++]!);
        }
        sent[i] = n;
        if (n < all.length) pending = true;
      }
      if (pending) setImmediate(pump);
      else resolve();
    };
    pump();
  });
  const report = await group.done;
  const seconds = (performance.now() - started) / 1000;
  await group.stop();
  await new Promise<void>((resolve) => wss.close(() => resolve()));
  return { rate: report.frames.reduce((a, b) => a + b, 0) / seconds };
}

/** Bytes one client receives for the demo flows' jobs: `job_*` only versus everything. */
async function filteredBytes(server: Server) {
  const lifecycle = JOB_EVENT_TYPES.filter((type) => type.startsWith("job_"));
  const flows = ["linear_flow", "branching_flow", "complex_flow", "error_flow"] as const;
  let all = 0;
  let jobsOnly = 0;
  for (const flow_id of flows) {
    const url = `${server.url}/api/ws/flows/${flow_id}/monitor`;
    // With data "bench" error_flow's faulty routine lets every item through, so every demo job completes.
    const end = '"type":"job_completed"';
    const everything = clientsOn(url, 1, { ready: '"type":"flow_metrics"', end });
    const filtered = clientsOn(url, 1, { ready: '"type":"subscription"', end }, [
      { action: "subscribe", events: lifecycle },
    ]);
    await Promise.all([everything.ready, filtered.ready]);
    await startDemoJob(server.services, flow_id, 20);
    const [a, b] = await Promise.all([everything.done, filtered.done]);
    all += a.bytes[0]!;
    jobsOnly += b.bytes[0]!;
    await Promise.all([everything.stop(), filtered.stop()]);
  }
  return { all, jobsOnly };
}

/** Pairs of jobs measured with the stalled client; the pairs after it left give the measurement's own spread. */
const STALL_PAIRS = 41;
const NOISE_PAIRS = 21;

/**
 * How much a client that stopped reading slows a 50 000-event job. Twin flows run one job each, side by side: the
 * engine interleaves their 4 ms slices, so both run under the same load, and each job's busy time (`Job.busyMs`:
 * its delivery loop on the thread, the WebSocket hub's listener included) is compared with its twin's. Run one after
 * the other instead, identical jobs differed by ±35 % on this VM, whose CPU speed changes in steps: as much as the
 * effect to measure.
 */
async function stalledClientCost() {
  // Each job leaves 50 000 events in the store: a retention sweep after each pair keeps the heap the same size, as a
  // server with ROUTILUX_RETENTION_JOBS does, so that no job pays for collecting the ones before it.
  const server = await startServer({}, 2);
  const { services } = server;
  // Made the same way, so that the two differ only in the socket watching one of them.
  for (const flow_id of ["watched", "unwatched"])
    await services.flows.create({ flow_id, dsl_dict: linearFlowDsl });
  /** Busy times of the watched job and its twin; which one starts first alternates. */
  const pair = async (round: number) => {
    await services.jobs.flushed();
    const order = round % 2 === 0 ? ["watched", "unwatched"] : ["unwatched", "watched"];
    const records = await Promise.all(order.map((flow_id) => startDemoJob(services, flow_id, 4200)));
    const jobs = records.map((record) => services.jobs.liveJob(record.job_id)!);
    await Promise.all(jobs.map((job) => job.done));
    await services.jobs.flushed();
    await services.sweep();
    const [watched, unwatched] = order[0] === "watched" ? jobs : [jobs[1]!, jobs[0]!];
    return { watched: watched!.busyMs, unwatched: unwatched!.busyMs };
  };
  const pairs = async (count: number) => {
    const runs: { watched: number; unwatched: number }[] = [];
    for (let round = 0; round < count; round++) runs.push(await pair(round));
    return runs;
  };
  await pairs(4); // warm up
  // The stalled client: a socket in this thread that reads nothing once open.
  const { default: WebSocket } = await import("ws");
  const socket = new WebSocket(`${server.url}/api/ws/flows/watched/monitor`);
  await new Promise((resolve) => socket.once("message", resolve));
  (socket as unknown as { _socket: { pause(): void } })._socket.pause();
  // Until the kernel's and the runtime's socket buffers are full the server still sends: that is a client reading,
  // slowly. What is measured is a client that reads nothing at all.
  for (let sent = -1; sent !== server.hub.stats().sent_messages; ) {
    sent = server.hub.stats().sent_messages;
    await pair(0);
  }
  const stalled = await pairs(STALL_PAIRS);
  const stats = server.hub.stats();
  socket.terminate();
  while (server.hub.stats().connections > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  // The same pairs with no client at all: how far apart twins read when nothing tells them apart.
  const noise = await pairs(NOISE_PAIRS);
  await server.close();
  const quantile = (runs: number[], q: number) =>
    [...runs].sort((a, b) => a - b)[Math.floor(runs.length * q)]!;
  const median = (runs: number[]) => quantile(runs, 0.5);
  const ratios = (runs: { watched: number; unwatched: number }[]) => {
    const each = runs.map((run) => run.watched / run.unwatched);
    const [q1, q2, q3] = [0.25, 0.5, 0.75].map((q) => quantile(each, q).toFixed(3));
    return `${q2} (quartiles ${q1}–${q3})`;
  };
  return {
    watched: median(stalled.map((run) => run.watched)),
    unwatched: median(stalled.map((run) => run.unwatched)),
    ratio: ratios(stalled),
    noise: ratios(noise),
    stats,
  };
}

export async function benchWs(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  // A queue that holds a whole job: this measures delivery, not the drop policy.
  const server = await startServer({ wsMaxQueue: 1_000_000 });
  try {
    for (const [clients, count] of [
      [1, 2000],
      [10, 1000],
      [100, 200],
    ] as const) {
      const measured = await deliveryRate(server, clients, count);
      const record = await startDemoJob(server.services, "linear_flow", count);
      await server.services.jobs.liveJob(record.job_id)!.done;
      const { events } = await server.services.jobs.events(record.job_id, 0, Number.MAX_SAFE_INTEGER);
      const texts = events.map(
        (event) =>
          `{"type":"flow_job_event","flow_id":"linear_flow","job_id":${JSON.stringify(event.job_id)},"event":${eventText(event)}}`,
      );
      const raw = await rawRate(texts, clients);
      rows.push({
        name: `subscribe_all, ${clients} client${clients === 1 ? "" : "s"}`,
        value: measured.rate,
        unit: "events/s",
        baseline: raw.rate,
        baselineName: "bare ws server",
        note:
          `${measured.events} events × ${clients} delivered in ${measured.seconds.toFixed(2)} s, the job ` +
          "running meanwhile (the bare server only sends)",
      });
    }
    const bytes = await filteredBytes(server);
    rows.push({
      name: "bytes per client, job_* only (demo flows)",
      value: bytes.jobsOnly,
      unit: "B",
      baseline: bytes.all,
      baselineName: "subscribe_all",
      lowerIsBetter: true,
      note: `${(100 * (1 - bytes.jobsOnly / bytes.all)).toFixed(1)} % fewer bytes (target ≥ 70 %)`,
    });
  } finally {
    await server.close();
  }
  const stall = await stalledClientCost();
  rows.push({
    name: "50k-event job busy time with a stalled client",
    value: stall.watched,
    unit: "ms",
    baseline: stall.unwatched,
    baselineName: "its twin, no client",
    lowerIsBetter: true,
    note:
      `${STALL_PAIRS} pairs run side by side, ratio within pairs ${stall.ratio} (target ≤ 1.10); with no ` +
      `client: ${stall.noise}; queue high-water ${stall.stats.queue_high_water} (cap 1000)`,
  });
  return rows;
}
