import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, test } from "vitest";
import { createApp, type RouterFactory } from "../../src/api/app.js";
import { jsonLogger } from "../../src/api/logger.js";
import { router } from "../../src/api/router.js";
import { ErrorSchema, json, jsonBody } from "../../src/api/schemas/common.js";
import { loadConfig } from "../../src/config.js";
import type { FlowService } from "../../src/service/flow-service.js";
import type { JobService } from "../../src/service/job-service.js";

/**
 * The app's own error handling, in process (`app.request`), with services that fail on purpose: what a client
 * sees when something breaks inside, and what the operator's log gets.
 */

const broken = (): never => {
  throw new Error("disk on fire: /var/lib/routilux/secret.db");
};

/** Every call fails the way a bug would: with a plain Error. */
const brokenJobs: JobService = {
  start: async () => broken(),
  get: async () => broken(),
  list: async () => broken(),
  pause: async () => broken(),
  resume: async () => broken(),
  cancel: async () => broken(),
  state: async () => broken(),
  metrics: async () => broken(),
  trace: async () => broken(),
  logs: async () => broken(),
  events: async () => broken(),
  flowMetrics: async () => broken(),
  subscribe: () => () => {},
};
const brokenFlows = new Proxy({} as FlowService, { get: () => async () => broken() });

function appWithLog(extraRoutes: RouterFactory[] = []) {
  const lines: string[] = [];
  const app = createApp({
    jobs: brokenJobs,
    flows: brokenFlows,
    config: loadConfig({}),
    logger: jsonLogger({ write: (line) => lines.push(line) }),
    audit: { record: () => {} },
    extraRoutes,
  });
  return { app, lines };
}

describe("an unexpected error", () => {
  test("is a 500 INTERNAL_ERROR with a generic message and the request id — never the stack", async () => {
    const { app } = appWithLog();
    const response = await app.request("/api/jobs/j1", { headers: { "x-request-id": "req-42" } });
    expect(response.status).toBe(500);
    expect(response.headers.get("x-request-id")).toBe("req-42");
    const text = await response.text();
    const body = ErrorSchema.parse(JSON.parse(text));
    expect(body.error).toMatchObject({ code: "INTERNAL_ERROR", request_id: "req-42", details: {} });
    expect(body.error.message).toContain("req-42");
    expect(text).not.toContain("disk on fire");
    expect(text).not.toContain("secret.db");
    expect(text).not.toMatch(/\bat .+:\d+:\d+/);
  });

  test("is logged once, as one JSON line with the stack and the request id", async () => {
    const { app, lines } = appWithLog();
    await app.request("/api/jobs", { headers: { "x-request-id": "req-43" } });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: "error", request_id: "req-43", method: "GET", path: "/api/jobs" });
    expect(line.error).toContain("disk on fire");
    expect(line.stack).toContain("app.test.ts");
  });

  test("in a router mounted through extraRoutes is handled the same way", async () => {
    const explode: RouterFactory = () => router().get("/api/explode", () => broken());
    const { app, lines } = appWithLog([explode]);
    const response = await app.request("/api/explode");
    expect(response.status).toBe(500);
    expect(ErrorSchema.parse(await response.json()).error.code).toBe("INTERNAL_ERROR");
    expect(lines).toHaveLength(1);
  });
});

describe("routers mounted through extraRoutes", () => {
  const echo = createRoute({
    method: "post",
    path: "/api/echo",
    request: { body: jsonBody(z.object({ word: z.string().min(2) }), "A word") },
    responses: { 200: json(z.object({ word: z.string() }), "The word") },
  });
  const echoRoutes: RouterFactory = () => router().openapi(echo, (c) => c.json(c.req.valid("json"), 200));

  test("get the 422 envelope, the OpenAPI entry and the 405 table", async () => {
    const { app } = appWithLog([echoRoutes]);
    const ok = await app.request("/api/echo", {
      method: "POST",
      body: '{"word":"hi"}',
      headers: { "content-type": "application/json" },
    });
    expect(await ok.json()).toEqual({ word: "hi" });

    const bad = await app.request("/api/echo", {
      method: "POST",
      body: '{"word":"h"}',
      headers: { "content-type": "application/json" },
    });
    expect(bad.status).toBe(422);
    expect(ErrorSchema.parse(await bad.json()).error.details.errors).toEqual([
      { path: "body.word", message: expect.any(String) },
    ]);

    const doc = (await (await app.request("/openapi.json")).json()) as { paths: Record<string, unknown> };
    expect(doc.paths).toHaveProperty("/api/echo");
    const wrongMethod = await app.request("/api/echo");
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get("allow")).toBe("OPTIONS, POST");
  });
});

describe("request bodies", () => {
  test("a Content-Length that understates the body does not get it past the limit", async () => {
    const config = loadConfig({ ROUTILUX_MAX_BODY_BYTES: "1000" });
    const small = createApp({ jobs: brokenJobs, flows: brokenFlows, config, audit: { record: () => {} } });
    const request = new Request("http://localhost/api/flows", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "10" },
      body: JSON.stringify({ dsl: "x".repeat(5000) }),
    });
    const response = await small.request(request);
    expect(response.status).toBe(413);
    expect(response.headers.get("connection")).toBe("close");
    expect(ErrorSchema.parse(await response.json()).error.code).toBe("PAYLOAD_TOO_LARGE");
  });

  test("a request id with unsafe characters is replaced, not echoed", async () => {
    const { app } = appWithLog();
    const response = await app.request("/api/health", { headers: { "x-request-id": "evil id<script>" } });
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
