import type { Context } from "hono";
import type { UpgradeWebSocket } from "hono/ws";
import type { RouterDeps } from "../deps.js";
import type { ApiRouter, AppEnv } from "../env.js";
import { router } from "../router.js";
import type { ConnectionScope } from "./connection.js";
import type { WsHub } from "./hub.js";
import { pathId, requireUpgrade, sinceOf } from "./upgrade-checks.js";

/** Any runtime's `upgradeWebSocket` (`@hono/node-server`, `hono/bun`, …): only the `(c, events)` form is used. */
// biome-ignore lint/suspicious/noExplicitAny: each runtime types its raw socket differently; the hub never needs it typed.
export type AnyUpgradeWebSocket = UpgradeWebSocket<any, any>;

/**
 * The WebSocket endpoints of docs/websocket-events.md. Ids are checked and unknown jobs or flows refused (404, the
 * JSON error envelope) before the upgrade, so no socket ever opens for them; authentication runs before these
 * handlers in the app's middleware.
 */
export function wsRoutes(hub: WsHub, upgradeWebSocket: AnyUpgradeWebSocket): ApiRouter {
  const upgrade = (c: Context<AppEnv>, scope: ConnectionScope) => {
    requireUpgrade(c);
    return upgradeWebSocket(c, hub.events(scope));
  };

  const app = router();
  app.get("/api/ws/jobs/:job_id/monitor", async (c) => {
    const job_id = pathId(c, "job_id");
    const since = sinceOf(c);
    await hub.jobs.get(job_id);
    return upgrade(c, { kind: "job", job_id, since });
  });
  app.get("/api/ws/jobs/:job_id/debug", async (c) => {
    const job_id = pathId(c, "job_id");
    const since = sinceOf(c);
    await hub.jobs.get(job_id);
    return upgrade(c, { kind: "debug", job_id, since });
  });
  app.get("/api/ws/flows/:flow_id/monitor", async (c) => {
    const flow_id = pathId(c, "flow_id");
    await hub.flows.get(flow_id);
    return upgrade(c, { kind: "flow", flow_id });
  });
  app.get("/ws", (c) => upgrade(c, { kind: "all" }));
  app.get("/api/ws", (c) => upgrade(c, { kind: "all" }));
  return app;
}

/** The router `createApp` mounts: empty until the entry has given both a hub and its runtime's upgrade. */
export const webSocketRoutes = ({ ws, upgradeWebSocket }: RouterDeps): ApiRouter =>
  ws && upgradeWebSocket ? wsRoutes(ws, upgradeWebSocket) : router();
