import { describe, expect, test } from "vitest";
import { bunAvailable, startServer, type TestServer } from "../support/server.js";
import { openSocket, refusedUpgrade, type TestSocket, waitUntil } from "../support/ws.js";
import { expectHealthy, guardPrototype } from "./support.js";

guardPrototype();

const targets = ["node", ...(bunAvailable() ? ["bun" as const] : [])] as const;
const wsUrl = (server: TestServer, path: string) => server.url.replace(/^http/, "ws") + path;

describe.each(targets)("WebSocket caps (%s)", (target) => {
  test("ROUTILUX_MAX_WS_CONNECTIONS: one more upgrade, on any endpoint, gets 429 RATE_LIMITED with Retry-After before the upgrade; closing one lets another in", async () => {
    const server = await startServer({ ROUTILUX_MAX_WS_CONNECTIONS: "3" }, { target });
    const sockets: TestSocket[] = [];
    try {
      const job = await server.startJob("linear_flow");
      // Counted across endpoints: a /ws, an /api/ws and a job monitor fill the cap of 3.
      for (const path of ["/ws", "/api/ws", `/api/ws/jobs/${job.job_id}/monitor`]) {
        sockets.push(await openSocket(wsUrl(server, path)));
      }
      for (const path of ["/ws", "/api/ws/flows/linear_flow/monitor"]) {
        const refused = await refusedUpgrade(wsUrl(server, path));
        expect(refused.status).toBe(429);
        expect(refused.headers["retry-after"]).toMatch(/^\d+$/);
        const body = JSON.parse(refused.body);
        expect(body.error.code).toBe("RATE_LIMITED");
        expect(body.error.message).toContain("ROUTILUX_MAX_WS_CONNECTIONS");
        expect(body.error.details).toMatchObject({ limit: 3 });
      }
      await sockets.shift()!.close();
      // The server learns of the close a moment later; then one more is let in, and the cap holds again.
      let reopened: TestSocket | null = null;
      await waitUntil(async () => {
        reopened = await openSocket(wsUrl(server, "/ws")).catch(() => null);
        return reopened !== null;
      }, 5000);
      sockets.push(reopened!);
      expect((await refusedUpgrade(wsUrl(server, "/ws"))).status).toBe(429);
      await expectHealthy(server);
    } finally {
      for (const socket of sockets) await socket.close();
      await server.close();
    }
  }, 30_000);

  test("ROUTILUX_MAX_SUBSCRIPTIONS: one more subscription gets an error naming the limit, and the socket stays open", async () => {
    const server = await startServer({ ROUTILUX_MAX_SUBSCRIPTIONS: "2" }, { target });
    try {
      const jobs = await Promise.all([0, 1, 2].map(() => server.startJob("linear_flow")));
      const socket = await openSocket(wsUrl(server, "/ws"));
      try {
        for (const job of jobs.slice(0, 2)) {
          socket.send({ action: "subscribe", job_id: job.job_id });
          await socket.nextMessage((m) => m.type === "subscription" && m.job_ids.includes(job.job_id));
        }
        socket.send({ action: "subscribe", job_id: jobs[2]!.job_id });
        const error = await socket.nextMessage((m) => m.type === "error");
        expect(error).toMatchObject({ code: "LIMIT_EXCEEDED", limit: 2 });
        expect(error.message).toContain("ROUTILUX_MAX_SUBSCRIPTIONS");
        // A resume of a job not followed yet is a subscription too.
        socket.send({ action: "resume", job_id: jobs[2]!.job_id, since: 0 });
        expect(await socket.nextMessage((m) => m.type === "error")).toMatchObject({ code: "LIMIT_EXCEEDED" });
        // Still open, still answering, still subscribed to the first two.
        socket.send({ action: "ping" });
        await socket.nextMessage((m) => m.type === "pong");
        socket.send({ action: "unsubscribe", job_id: jobs[0]!.job_id });
        const reply = await socket.nextMessage((m) => m.type === "subscription");
        expect(reply.job_ids).toEqual([jobs[1]!.job_id]);
        // Room again for one.
        socket.send({ action: "subscribe", job_id: jobs[2]!.job_id });
        const again = await socket.nextMessage((m) => m.type === "subscription" || m.type === "error");
        expect(again.type).toBe("subscription");
        expect(socket.closed).toBeNull();
      } finally {
        await socket.close();
      }
      await expectHealthy(server);
    } finally {
      await server.close();
    }
  }, 30_000);
});
