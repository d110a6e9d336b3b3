import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  api,
  expectSeqsCovered,
  httpEvents,
  isEvent,
  isType,
  type Message,
  openSocket,
  refusedUpgrade,
  startJob,
  type TestSocket,
  type WsTarget,
  waitForJob,
  waitForJobEnd,
} from "../support/ws.js";

/** The API key every core-suite target is started with. */
export const TEST_KEY = "test-key-1";
/** The heartbeat every core-suite target is started with, in seconds. */
export const TEST_HEARTBEAT_SECONDS = 1;

/** Events of a socket's messages, in arrival order. */
const eventsOf = (messages: Message[]): Message[] => messages.filter(isEvent);
const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

/**
 * The behaviour of docs/websocket-events.md that every runtime must show; run against the Node server in-process
 * and the Bun entry as a child process. `start` gives a server with API key `TEST_KEY` and a 1 s heartbeat.
 */
export function coreWebSocketSuite(runtime: string, start: () => Promise<WsTarget | null>) {
  describe(`WebSocket protocol on ${runtime}`, () => {
    let target: WsTarget | null = null;
    const open: TestSocket[] = [];

    beforeAll(async () => {
      target = await start();
    }, 30_000);
    afterAll(async () => {
      await Promise.all(open.map((socket) => socket.close().catch(() => {})));
      await target?.close();
    });

    const server = (): WsTarget => {
      if (!target) throw new Error(`${runtime} server did not start`);
      return target;
    };
    const connect = async (path: string): Promise<TestSocket> => {
      const socket = await openSocket(`${server().wsUrl}${path}`, { headers: { "x-api-key": TEST_KEY } });
      open.push(socket);
      return socket;
    };

    test("every socket opens with connection:status, then its endpoint's first message", async () => {
      const job = await startJob(server(), { count: 1 });
      await waitForJobEnd(server(), job.job_id);

      const monitor = await connect(`/api/ws/jobs/${job.job_id}/monitor`);
      const status = await monitor.nextMessage();
      expect(status).toMatchObject({ type: "connection:status", status: "connected", heartbeat_interval: 1 });
      expect(typeof status.connection_id).toBe("string");
      expect(Date.parse(status.timestamp)).not.toBeNaN();
      expect(Date.parse(status.server_time)).not.toBeNaN();
      const metrics = await monitor.nextMessage();
      expect(metrics).toMatchObject({ type: "metrics", job_id: job.job_id, metrics: { total_events: 17 } });
      expect(Object.keys(metrics.metrics).sort()).toEqual(
        [
          "duration",
          "end_time",
          "start_time",
          "total_event_emits",
          "total_events",
          "total_slot_calls",
        ].sort(),
      );
      expect(await monitor.nextMessage()).toMatchObject({ type: "job_started", seq: 1, job_id: job.job_id });

      const debug = await connect(`/api/ws/jobs/${job.job_id}/debug`);
      expect((await debug.nextMessage()).type).toBe("connection:status");
      expect(await debug.nextMessage()).toMatchObject({
        type: "debug_session",
        job_id: job.job_id,
        status: "no_session",
      });

      const flow = await connect("/api/ws/flows/linear_flow/monitor");
      expect((await flow.nextMessage()).type).toBe("connection:status");
      const flowMetrics = await flow.nextMessage();
      expect(flowMetrics).toMatchObject({ type: "flow_metrics", flow_id: "linear_flow" });
      expect(flowMetrics.total_jobs).toBeGreaterThanOrEqual(1);

      for (const path of ["/ws", "/api/ws"]) {
        const lobby = await connect(path);
        expect((await lobby.nextMessage()).type).toBe("connection:status");
      }
    });

    test("a job monitor streams the log from the first event (or ?since=N), the same events as the HTTP log", async () => {
      const job = await startJob(server(), { count: 5 });
      await waitForJobEnd(server(), job.job_id);
      const logged = await httpEvents(server(), job.job_id);

      const all = await connect(`/api/ws/jobs/${job.job_id}/monitor`);
      const streamed = eventsOf(await all.collectUntil(isType("job_completed")));
      expect(streamed).toEqual(logged);
      expect(streamed.map((e) => e.seq)).toEqual(range(1, logged.length));

      const later = await connect(`/api/ws/jobs/${job.job_id}/monitor?since=40`);
      const rest = eventsOf(await later.collectUntil(isType("job_completed")));
      expect(rest).toEqual(logged.slice(40));
    });

    test("a client subscribed to job_completed receives exactly those events, plus control messages", async () => {
      const done = await startJob(server(), { count: 2 });
      await waitForJobEnd(server(), done.job_id);

      const socket = await connect("/ws");
      await socket.nextMessage(isType("connection:status"));
      socket.send({ action: "subscribe", events: ["job_completed"] });
      expect(await socket.nextMessage(isType("subscription"))).toEqual({
        type: "subscription",
        subscribed_all: false,
        events: ["job_completed"],
        job_ids: [],
      });
      socket.send({ action: "subscribe", job_id: done.job_id });
      expect(await socket.nextMessage(isType("subscription"))).toMatchObject({ job_ids: [done.job_id] });
      // Not subscribed by id: its job_completed comes to every /ws socket anyway.
      const live = await startJob(server(), { count: 3 });
      const seen = eventsOf(
        await socket.collectUntil((m) => m.type === "job_completed" && m.job_id === live.job_id, 5000),
      );
      const more = eventsOf(await socket.drainFor(300));
      const events = [...seen, ...more];
      expect(events.every((e) => e.type === "job_completed")).toBe(true);
      // The finished job's one completion (replayed) and the live job's one, each once.
      expect(events.map((e) => e.job_id).sort()).toEqual([done.job_id, live.job_id].sort());

      const running = await startJob(server(), { count: 5, delay_ms: 100 });
      const monitor = await connect(`/api/ws/jobs/${running.job_id}/monitor`);
      await monitor.nextMessage(isType("metrics"));
      monitor.send({ action: "subscribe", events: ["job_completed"] });
      await monitor.nextMessage(isType("subscription"));
      const after = eventsOf(await monitor.collectUntil(isType("job_completed"), 5000));
      expect(after.map((e) => e.type)).toEqual(["job_completed"]);
    });

    test("subscribe_all restores every type; unsubscribe removes types from the full set", async () => {
      const socket = await connect("/ws");
      await socket.nextMessage(isType("connection:status"));
      socket.send({ action: "unsubscribe", events: ["routine_started", "slot_called"] });
      const reply = await socket.nextMessage(isType("subscription"));
      expect(reply.subscribed_all).toBe(false);
      expect(reply.events).not.toContain("routine_started");
      expect(reply.events).toContain("job_completed");
      expect(reply.events).toHaveLength(12);

      const job = await startJob(server(), { count: 2 });
      await waitForJobEnd(server(), job.job_id);
      socket.send({ action: "subscribe", job_id: job.job_id });
      await socket.nextMessage(isType("subscription"));
      const filtered = eventsOf(await socket.collectUntil(isType("job_completed")));
      expect(filtered.some((e) => e.type === "routine_started" || e.type === "slot_called")).toBe(false);
      expect(filtered.some((e) => e.type === "routine_completed")).toBe(true);

      socket.send({ type: "subscribe_all" }); // the verb may come as `type` too
      expect(await socket.nextMessage(isType("subscription"))).toMatchObject({ subscribed_all: true });
      socket.send({ action: "unsubscribe", job_id: job.job_id });
      expect(await socket.nextMessage(isType("subscription"))).toMatchObject({ job_ids: [] });
      socket.send({ action: "subscribe", job_id: job.job_id });
      await socket.nextMessage(isType("subscription"));
      const everything = eventsOf(await socket.collectUntil(isType("job_completed")));
      expect(everything.map((e) => e.seq)).toEqual(range(1, 29));
    });

    test("two clients on one job each receive every event", async () => {
      const job = await startJob(server(), { count: 40, delay_ms: 2 });
      const [a, b] = await Promise.all([
        connect(`/api/ws/jobs/${job.job_id}/monitor`),
        connect(`/api/ws/jobs/${job.job_id}/monitor`),
      ]);
      const [fromA, fromB] = await Promise.all(
        [a, b].map(async (socket) => eventsOf(await socket.collectUntil(isType("job_completed"), 10_000))),
      );
      const total = 2 + 3 + 12 * 40;
      expect(fromA!.map((e) => e.seq)).toEqual(range(1, total));
      expect(fromB).toEqual(fromA);
    });

    test("/ws receives the job_* events of every job without subscribing, and nothing else", async () => {
      const socket = await connect("/ws");
      await socket.nextMessage(isType("connection:status"));
      const [one, two] = await Promise.all([
        startJob(server(), { count: 2 }),
        startJob(server(), { count: 2 }),
      ]);
      const ended = new Set<string>();
      const messages = await socket.collectUntil((m) => {
        if (m.type === "job_completed") ended.add(m.job_id);
        return ended.has(one.job_id) && ended.has(two.job_id);
      });
      const ours = eventsOf(messages).filter((e) => e.job_id === one.job_id || e.job_id === two.job_id);
      expect(ours.every((e) => e.type.startsWith("job_"))).toBe(true);
      for (const job of [one, two]) {
        expect(ours.filter((e) => e.job_id === job.job_id).map((e) => e.type)).toEqual([
          "job_started",
          "job_completed",
        ]);
      }
    });

    test("a flow socket follows a job started after it opened", async () => {
      const socket = await connect("/api/ws/flows/branching_flow/monitor");
      await socket.nextMessage(isType("flow_metrics"));
      const job = await startJob(server(), { flow_id: "branching_flow", count: 2 });
      const messages = await socket.collectUntil(
        (m) => m.type === "flow_job_event" && m.job_id === job.job_id && m.event.type === "job_completed",
      );
      const wrapped = messages.filter((m) => m.type === "flow_job_event" && m.job_id === job.job_id);
      expect(wrapped.every((m) => m.flow_id === "branching_flow" && m.event.job_id === job.job_id)).toBe(
        true,
      );
      expect(wrapped.map((m) => m.event.seq)).toEqual(range(1, wrapped.length));
      expect(wrapped.map((m) => m.event)).toEqual(await httpEvents(server(), job.job_id));
    });

    test("the debug socket wraps debug events once each and re-sends debug_session when the status changes", async () => {
      const job = await startJob(server(), { count: 6, delay_ms: 150 });
      const socket = await connect(`/api/ws/jobs/${job.job_id}/debug`);
      await socket.nextMessage(isType("connection:status"));
      expect(await socket.nextMessage()).toMatchObject({
        type: "debug_session",
        status: "running",
        paused_at: null,
      });

      await api(server(), "POST", `/api/jobs/${job.job_id}/pause`);
      const paused = await socket.collectUntil((m) => m.type === "debug_session" && m.status === "paused");
      expect(paused.at(-2)).toMatchObject({
        type: "debug_event",
        event: { type: "job_paused", data: { reason: "user" } },
      });
      expect(paused.at(-1)!.paused_at).toHaveProperty("routine_id");

      await api(server(), "POST", `/api/jobs/${job.job_id}/resume`);
      const resumed = await socket.collectUntil((m) => m.type === "debug_session" && m.status !== "paused");
      expect(resumed.at(-2)).toMatchObject({ type: "debug_event", event: { type: "job_resumed" } });
      expect(resumed.at(-1)!.status).toMatch(/^(running|stepping)$/);

      const ended = await socket.collectUntil(
        (m) => m.type === "debug_session" && m.status === "no_session",
        10_000,
      );
      const wrapped = [...paused, ...resumed, ...ended].filter(isType("debug_event")).map((m) => m.event);
      const debugTypes = new Set([
        "breakpoint_hit",
        "breakpoint_error",
        "job_paused",
        "job_resumed",
        "routine_started",
        "routine_completed",
        "routine_failed",
        "slot_called",
        "event_emitted",
      ]);
      expect(wrapped.every((e) => debugTypes.has(e.type))).toBe(true);
      const seqs = wrapped.map((e) => e.seq);
      expect(new Set(seqs).size).toBe(seqs.length);
      const logged = (await httpEvents(server(), job.job_id)).filter((e) => debugTypes.has(e.type));
      expect(wrapped).toEqual(logged);
    });

    /**
     * Checks what a client that stopped reading during `job_id` gets once it reads again, after the messages it had
     * read before: each event once and in order, or inside an `events:dropped` range, up to the job's last event,
     * with at least one range.
     */
    const expectToldWhatItMissed = async (socket: TestSocket, job_id: string, readBefore: Message[] = []) => {
      const ended = (m: Message) =>
        m.job_id === job_id && (m.type === "flow_job_event" ? m.event.type : m.type) === "job_completed";
      const messages = [...readBefore, ...(await socket.collectUntil(ended, 30_000))];
      const total = (await api(server(), "GET", `/api/jobs/${job_id}/events?since=0&limit=1`)).last_seq;
      expect(expectSeqsCovered(messages, job_id, total)).toBeGreaterThanOrEqual(1);
    };

    test("a flow socket that stops reading is told what it missed, in order, and then gets the newest events", async () => {
      const socket = await connect("/api/ws/flows/branching_flow/monitor");
      await socket.nextMessage(isType("flow_metrics"));
      socket.stopReading();
      // 47 505 events: far more than the socket buffers and the 1 000-event queue hold.
      const job = await startJob(server(), { flow_id: "branching_flow", count: 2500 });
      await waitForJobEnd(server(), job.job_id, 30_000);
      socket.readAgain();
      await expectToldWhatItMissed(socket, job.job_id);
      // Reading again, it follows the flow's next job live, every event.
      const next = await startJob(server(), { flow_id: "branching_flow", count: 2 });
      const live = await socket.collectUntil(
        (m) => m.job_id === next.job_id && m.event?.type === "job_completed",
      );
      const seqs = live.filter((m) => m.job_id === next.job_id).map((m) => m.event.seq);
      expect(seqs).toEqual(range(1, seqs.length));
    }, 60_000);

    // Sockets that follow a job by id are routed by job, not by flow. The job is held at its start while the log
    // is replayed and at a breakpoint while the client reads again, so that it still runs live afterwards.
    test.each([
      ["a job monitor", (job_id: string) => `/api/ws/jobs/${job_id}/monitor`, null],
      [
        "a /ws socket subscribed to the job",
        () => "/api/ws",
        (job_id: string) => ({ action: "subscribe", job_id }),
      ],
    ] as const)(
      "%s that stops reading is told what it missed, then follows the job live again",
      async (_, path, subscribe) => {
        // 57 005 events; the breakpoint holds the job after about 45 600 of them.
        const job = await startJob(server(), {
          flow_id: "branching_flow",
          count: 3000,
          pause_on_start: true,
          breakpoints: [
            { type: "slot", routine_id: "transformer", slot_name: "input", condition: "index == 2400" },
          ],
        });
        const socket = await connect(path(job.job_id));
        if (subscribe) socket.send(subscribe(job.job_id));
        const paused = (m: Message) => m.job_id === job.job_id && m.type === "job_paused";
        const read = await socket.collectUntil(paused, 30_000);
        socket.stopReading();
        await api(server(), "POST", `/api/jobs/${job.job_id}/resume`);
        await waitForJob(server(), job.job_id, (record) => record.status === "paused");
        socket.readAgain();
        read.push(...(await socket.collectUntil(paused, 30_000)));
        await api(server(), "POST", `/api/jobs/${job.job_id}/resume`);
        await expectToldWhatItMissed(socket, job.job_id, read);
      },
      60_000,
    );

    test("ping gets pong at once; heartbeats come every heartbeat interval", async () => {
      const socket = await connect("/ws");
      await socket.nextMessage(isType("connection:status"));
      socket.send({ action: "ping" });
      const pong = await socket.nextMessage(isType("pong"), 1000);
      expect(Date.parse(pong.timestamp)).not.toBeNaN();

      const first = await socket.nextMessage(isType("ping"), 3000);
      const firstAt = Date.now();
      await socket.nextMessage(isType("ping"), 3000);
      const gap = Date.now() - firstAt;
      expect(gap).toBeGreaterThan(TEST_HEARTBEAT_SECONDS * 1000 * 0.6);
      expect(gap).toBeLessThan(TEST_HEARTBEAT_SECONDS * 1000 * 1.6);
      expect(Date.parse(first.timestamp)).not.toBeNaN();
    });

    test("a client that never sends app-level pongs stays connected (it answers protocol pings by itself)", async () => {
      const socket = await connect("/ws");
      await socket.nextMessage(isType("ping"), 3000);
      await socket.nextMessage(isType("ping"), 3000);
      await socket.nextMessage(isType("ping"), 3000);
      expect(socket.closed).toBeNull();
    });

    test("unknown verbs and malformed JSON get errors and the socket stays open", async () => {
      const socket = await connect("/ws");
      await socket.nextMessage(isType("connection:status"));
      socket.send({ action: "explode" });
      expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "UNKNOWN_ACTION" });
      socket.send("{not json");
      expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "BAD_MESSAGE" });
      socket.send({ action: "subscribe", events: ["no_such_event"] });
      expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "BAD_MESSAGE" });
      socket.send({ action: "ping", pad: "x".repeat(70 * 1024) });
      expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "BAD_MESSAGE" });
      socket.send({ action: "subscribe", job_id: "no-such-job" });
      expect(await socket.nextMessage(isType("error"))).toMatchObject({ code: "JOB_NOT_FOUND" });
      socket.send({ action: "ping" });
      await socket.nextMessage(isType("pong"));
      expect(socket.closed).toBeNull();
    });

    test("a missing or wrong API key is refused with 401 before the upgrade; ?api_key= is accepted", async () => {
      const job = await startJob(server(), { count: 1 });
      const path = `/api/ws/jobs/${job.job_id}/monitor`;
      for (const refused of [
        await refusedUpgrade(`${server().wsUrl}${path}`),
        await refusedUpgrade(`${server().wsUrl}/ws?api_key=wrong`),
        await refusedUpgrade(`${server().wsUrl}/ws`, { headers: { authorization: "Bearer nope" } }),
      ]) {
        expect(refused.status).toBe(401);
        expect(refused.contentType).toMatch(/^application\/json/);
        expect(JSON.parse(refused.body)).toMatchObject({ error: { code: "UNAUTHORIZED" } });
      }
      for (const socket of [
        await openSocket(`${server().wsUrl}${path}?api_key=${TEST_KEY}`),
        await openSocket(`${server().wsUrl}/ws`, { headers: { authorization: `Bearer ${TEST_KEY}` } }),
      ]) {
        open.push(socket);
        expect((await socket.nextMessage()).type).toBe("connection:status");
      }
    });

    test("an unknown job or flow is refused with 404 before the upgrade; bad input with 422, plain HTTP with 426; each with the error envelope", async () => {
      const headers = { "x-api-key": TEST_KEY };
      const cases = [
        ["/api/ws/jobs/no-such-job/monitor", "JOB_NOT_FOUND"],
        ["/api/ws/jobs/no-such-job/debug", "JOB_NOT_FOUND"],
        ["/api/ws/flows/no_such_flow/monitor", "FLOW_NOT_FOUND"],
      ] as const;
      for (const [path, code] of cases) {
        const refused = await refusedUpgrade(`${server().wsUrl}${path}`, { headers });
        expect(refused.status).toBe(404);
        expect(JSON.parse(refused.body)).toMatchObject({ error: { code } });
      }
      const plain = await fetch(`${server().url}/ws`, { headers });
      expect(plain.status).toBe(426);
      expect(await plain.json()).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
      const badSince = await refusedUpgrade(`${server().wsUrl}/api/ws/jobs/some-job/monitor?since=-1`, {
        headers,
      });
      expect(badSince.status).toBe(422);
      expect(JSON.parse(badSince.body)).toMatchObject({
        error: { code: "VALIDATION_ERROR", details: { errors: [{ path: "query.since" }] } },
      });
      // An upgrade asked of a route that is not a WebSocket gets that route's answer, and the connection ends.
      const notASocket = await refusedUpgrade(`${server().wsUrl}/api/flows/no_such_flow`, { headers });
      expect(notASocket.status).toBe(404);
      expect(JSON.parse(notASocket.body)).toMatchObject({ error: { code: "FLOW_NOT_FOUND" } });
    });
  });
}
