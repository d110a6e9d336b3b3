import { createRoute } from "@hono/zod-openapi";
import type { RouterDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { router } from "../router.js";
import { errors, json } from "../schemas/common.js";
import { Health, Liveness, Readiness, ServiceInfo } from "../schemas/meta.js";

const tags = ["meta"];
// Public routes: an empty requirement overrides the document's global API key requirement.
const security: [] = [];

const root = createRoute({
  method: "get",
  path: "/",
  tags,
  security,
  summary: "What this server is",
  responses: { 200: json(ServiceInfo, "Name, version and description") },
});

const health = createRoute({
  method: "get",
  path: "/api/health",
  tags,
  security,
  summary: "Health check",
  responses: { 200: json(Health, "The server answers") },
});

const live = createRoute({
  method: "get",
  path: "/api/health/live",
  tags,
  security,
  summary: "Liveness probe",
  description: "200 while the process serves requests; restart it otherwise.",
  responses: { 200: json(Liveness, "Alive") },
});

const ready = createRoute({
  method: "get",
  path: "/api/health/ready",
  tags,
  security,
  summary: "Readiness probe",
  description: "200 when the job store answers; send traffic elsewhere otherwise.",
  responses: { 200: json(Readiness, "Ready"), ...errors({ 503: "The store does not answer" }) },
});

export const DESCRIPTION = "Event-driven workflow engine with a built-in monitoring and debugging API";

export const metaRoutes = ({ jobs, version }: RouterDeps) =>
  router()
    .openapi(root, (c) => c.json({ name: "routilux", version, description: DESCRIPTION }, 200))
    .openapi(health, (c) => c.json({ status: "healthy" as const }, 200))
    .openapi(live, (c) => c.json({ status: "alive" as const }, 200))
    .openapi(ready, async (c) => {
      try {
        await jobs.list({ order: "desc", limit: 1, offset: 0 });
      } catch {
        throw new ApiError("INTERNAL_ERROR", 503, "Not ready: the job store does not answer");
      }
      return c.json({ status: "ready" as const }, 200);
    });
