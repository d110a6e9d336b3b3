import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { AUTO_PING_REQUEST } from "../../src/edge/socket-messages.js";
import { ofType, openSocket } from "./sockets.js";
import { allEvents, api, createLinearFlow, startJob, waitForStatus } from "./support.js";

describe("WebSockets held by the objects (Hibernation API)", () => {
  it("a job monitor gets connection status, metrics, the log and live events, and resumes after a seq", async () => {
    const job = await startJob("linear_flow", { data: "hi", count: 2 });
    await waitForStatus(job.job_id, "completed");
    const logged = await allEvents(job.job_id);

    const socket = await openSocket(`/api/ws/jobs/${job.job_id}/monitor`);
    await socket.next((m) => m.seq === logged.length);
    expect(socket.messages[0]).toMatchObject({
      type: "connection:status",
      status: "connected",
      heartbeat_interval: 30,
    });
    expect(socket.messages[1]).toMatchObject({ type: "metrics", job_id: job.job_id });
    expect(socket.messages.slice(2)).toEqual(logged);

    // The runtime answers the exact ping frame by itself; any other spelling reaches the object.
    socket.sendText(AUTO_PING_REQUEST);
    const auto = await socket.next((m) => m.type === "pong" && m.auto === true);
    expect(typeof auto.timestamp).toBe("string");
    const mark = socket.messages.length;
    socket.send({ type: "ping" });
    const pong = await socket.next(ofType("pong"), mark);
    expect(pong.auto).toBeUndefined();

    const before = socket.messages.length;
    socket.send({ action: "subscribe", events: ["job_completed"] });
    expect(await socket.next(ofType("subscription"), before)).toMatchObject({
      subscribed_all: false,
      events: ["job_completed"],
      job_ids: [],
    });
    socket.send({ action: "resume", since: 0 });
    const completed = await socket.next(ofType("job_completed"), before);
    expect(completed.seq).toBe(logged.length);
    expect(socket.messages.slice(before).filter((m) => typeof m.seq === "number")).toEqual([logged.at(-1)]);
    socket.close();
  });

  it("a debug socket sees the session, its changes and the debug events, wrapped", async () => {
    const job = await startJob("linear_flow", { data: "x", count: 1 }, { pause_on_start: true });
    await waitForStatus(job.job_id, "paused");
    const socket = await openSocket(`/api/ws/jobs/${job.job_id}/debug`);
    const first = await socket.next(ofType("debug_session"));
    expect(first).toMatchObject({
      job_id: job.job_id,
      status: "paused",
      paused_at: { routine_id: "source" },
    });

    expect((await api("POST", `/api/jobs/${job.job_id}/debug/resume`)).status).toBe(200);
    await waitForStatus(job.job_id, "completed");
    await socket.next((m) => m.type === "debug_session" && m.status === "no_session");
    const wrapped = socket.messages.filter(ofType("debug_event"));
    expect(wrapped.length).toBeGreaterThan(0);
    expect(wrapped.map((m) => (m.event as { type: string }).type)).toContain("job_resumed");
    expect(socket.messages.some((m) => typeof m.seq === "number")).toBe(false);
    socket.close();
  });

  it("/ws sends every job's lifecycle events unasked and a subscribed job's whole log", async () => {
    const lobby = await openSocket("/ws");
    await lobby.next(ofType("connection:status"));
    const job = await startJob("linear_flow", { data: "lobby", count: 1 });
    await lobby.next((m) => m.type === "job_completed" && m.job_id === job.job_id);
    expect(
      lobby.messages.filter((m) => m.job_id === job.job_id).every((m) => String(m.type).startsWith("job_")),
    ).toBe(true);

    const mark = lobby.messages.length;
    lobby.send({ action: "subscribe", job_id: job.job_id });
    expect(await lobby.next(ofType("subscription"), mark)).toMatchObject({ job_ids: [job.job_id] });
    const logged = await allEvents(job.job_id);
    await lobby.next((m) => m.job_id === job.job_id && m.seq === logged.length, mark);
    expect(lobby.messages.slice(mark).filter((m) => typeof m.seq === "number")).toEqual(logged);

    lobby.send({ action: "subscribe", job_id: "no-such-job" });
    expect(await lobby.next(ofType("error"), mark)).toMatchObject({ code: "JOB_NOT_FOUND" });
    lobby.close();
  });

  it("a flow monitor counts the flow's jobs, then streams every event of jobs started after it opened", async () => {
    await createLinearFlow("monitored_flow");
    const monitor = await openSocket("/api/ws/flows/monitored_flow/monitor");
    expect(await monitor.next(ofType("flow_metrics"))).toEqual({
      type: "flow_metrics",
      flow_id: "monitored_flow",
      total_jobs: 0,
    });
    const job = await startJob("monitored_flow", { data: "watched", count: 2 });
    await waitForStatus(job.job_id, "completed");
    const logged = await allEvents(job.job_id);
    await monitor.next(
      (m) => m.type === "flow_job_event" && (m.event as { seq: number }).seq === logged.length,
    );
    const streamed = monitor.messages.filter(ofType("flow_job_event"));
    expect(streamed.every((m) => m.flow_id === "monitored_flow" && m.job_id === job.job_id)).toBe(true);
    expect(streamed.map((m) => m.event)).toEqual(logged);
    monitor.close();
  });

  it("refuses unknown jobs and flows before any socket opens, and plain requests with 426", async () => {
    const unknownJob = await SELF.fetch("https://routilux.test/api/ws/jobs/nope/monitor", {
      headers: { Upgrade: "websocket" },
    });
    expect(unknownJob.status).toBe(404);
    expect(((await unknownJob.json()) as { error: { code: string } }).error.code).toBe("JOB_NOT_FOUND");
    const unknownFlow = await SELF.fetch("https://routilux.test/api/ws/flows/nope/monitor", {
      headers: { Upgrade: "websocket" },
    });
    expect(unknownFlow.status).toBe(404);
    const plain = await api("GET", "/ws");
    expect(plain.status).toBe(426);
  });

  it("streams live events of a running job after its log, without a gap or a duplicate", async () => {
    const job = await startJob("linear_flow", { data: "live", count: 3 }, { pause_on_start: true });
    await waitForStatus(job.job_id, "paused");
    const socket = await openSocket(`/api/ws/jobs/${job.job_id}/monitor`);
    await socket.next(ofType("job_paused"));
    const resumed = await api("POST", `/api/jobs/${job.job_id}/resume`);
    expect(resumed.status).toBe(200);
    await waitForStatus(job.job_id, "completed");
    const logged = await allEvents(job.job_id);
    await socket.next(ofType("job_completed"));
    expect(socket.messages.filter((m) => typeof m.seq === "number")).toEqual(logged);
    socket.close();
  });
});
