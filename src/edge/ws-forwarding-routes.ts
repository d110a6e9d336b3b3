import type { RouterFactory } from "../api/app.js";
import { router } from "../api/router.js";
import { pathId, requireUpgrade, sinceOf } from "../api/ws/upgrade-checks.js";
import type { FlowService } from "../service/flow-service.js";
import type { JobService } from "../service/job-service.js";
import { type EdgeEnv, jobObjectOf, registryOf } from "./env.js";

/**
 * The WebSocket endpoints of docs/websocket-events.md on Workers. Events live in the objects, not in this isolate,
 * so the upgrade itself is handed to the object that holds them: per-job sockets to the job's JobObject, `/ws` and
 * flow monitors to the registry. The app's middleware has already run (request id, CORS, API key incl.
 * `?api_key=`); here ids are checked and unknown jobs or flows refused with 404 before any socket opens, as the
 * in-process routes (api/ws/routes.ts) do.
 */
export function wsForwardingRoutes(env: EdgeEnv, jobs: JobService, flows: FlowService): RouterFactory {
  return () => {
    const app = router();
    app.get("/api/ws/jobs/:job_id/monitor", async (c) => {
      const job_id = pathId(c, "job_id");
      sinceOf(c);
      requireUpgrade(c);
      await jobs.get(job_id);
      return jobObjectOf(env, job_id).fetch(c.req.raw);
    });
    app.get("/api/ws/jobs/:job_id/debug", async (c) => {
      const job_id = pathId(c, "job_id");
      sinceOf(c);
      requireUpgrade(c);
      await jobs.get(job_id);
      return jobObjectOf(env, job_id).fetch(c.req.raw);
    });
    app.get("/api/ws/flows/:flow_id/monitor", async (c) => {
      const flow_id = pathId(c, "flow_id");
      requireUpgrade(c);
      await flows.get(flow_id);
      return registryOf(env).fetch(c.req.raw);
    });
    for (const path of ["/ws", "/api/ws"]) {
      app.get(path, (c) => {
        requireUpgrade(c);
        return registryOf(env).fetch(c.req.raw);
      });
    }
    return app;
  };
}
