/**
 * One job end to end with the typed client of `hono/client`: start it, follow its events on a WebSocket, poll its
 * status, read its results. Every path, body and response below is checked by TypeScript against Routilux's routes.
 *
 *   npx routilux serve                                      # the demo flows, on http://127.0.0.1:20555
 *   npx tsx examples/typed-client.ts http://127.0.0.1:20555
 */
import { hc } from "hono/client";
import type { AppType } from "routilux";
import WebSocket from "ws";

const baseUrl = process.argv[2] ?? "http://127.0.0.1:20555";
const client = hc<AppType>(baseUrl);

interface SocketMessage {
  type: string;
  seq?: number;
}

const FINISHED = new Set(["completed", "failed", "cancelled"]);

/** Opens the job's monitor stream (its log from the first event, then live) and resolves at its last event. */
function followJob(job_id: string): Promise<SocketMessage[]> {
  const url = new URL(`/api/ws/jobs/${job_id}/monitor`, baseUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(url);
  const events: SocketMessage[] = [];
  return new Promise((resolve, reject) => {
    socket.on("message", (data) => {
      const message = JSON.parse(String(data)) as SocketMessage;
      if (message.seq === undefined) return; // connection status, metrics, pings
      events.push(message);
      console.log(`socket: ${message.type} (seq ${message.seq})`);
      if (["job_completed", "job_failed", "job_cancelled"].includes(message.type)) {
        socket.close(1000);
        resolve(events);
      }
    });
    socket.on("error", reject);
    socket.on("close", (code) => reject(new Error(`socket closed (${code}) before the job finished`)));
  });
}

async function main(): Promise<void> {
  const started = await client.api.jobs.$post({
    json: { flow_id: "linear_flow", entry_routine_id: "source", entry_params: { data: "typed", count: 3 } },
  });
  if (started.status !== 201) throw new Error(`start failed: ${started.status} ${await started.text()}`);
  const { job_id } = await started.json();
  console.log(`started job ${job_id}`);

  const streamed = followJob(job_id);

  let status = "";
  for (let attempt = 0; attempt < 200 && !FINISHED.has(status); attempt++) {
    const response = await client.api.jobs[":job_id"].status.$get({ param: { job_id } });
    if (response.status !== 200) throw new Error(`status failed: ${response.status}`);
    status = (await response.json()).status;
    if (!FINISHED.has(status)) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  console.log(`status: ${status}`);

  const events = await streamed;
  const state = await client.api.jobs[":job_id"].state.$get({ param: { job_id } });
  if (state.status !== 200) throw new Error(`state failed: ${state.status}`);
  const { shared_data } = await state.json();
  console.log(`results: ${JSON.stringify(shared_data.results)}`);
  console.log(`${events.length} events streamed`);
  if (status !== "completed") process.exitCode = 1;
}

await main();
