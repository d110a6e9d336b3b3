import { OpenAPIHono } from "@hono/zod-openapi";
import type { Hono, Schema } from "hono";
import { requestId } from "hono/request-id";
import type { AppDeps, RouterDeps } from "./deps.js";
import type { AppEnv } from "./env.js";
import { errorHandler } from "./errors.js";
import { jsonLogger } from "./logger.js";
import { apiKeyAuth } from "./middleware/api-key.js";
import { jsonLinesAuditLog } from "./middleware/audit.js";
import { requestBody } from "./middleware/body.js";
import { compressLarge } from "./middleware/compression.js";
import { corsFromConfig } from "./middleware/cors.js";
import { hostCheck } from "./middleware/host-check.js";
import { originCheck } from "./middleware/origin-check.js";
import { urlLength } from "./middleware/url-length.js";
import { notFoundHandler } from "./not-found.js";
import { withRefusalResponses } from "./refusal-responses.js";
import { validationHook } from "./router.js";
import { breakpointRoutes } from "./routes/breakpoints.js";
import { debugRoutes } from "./routes/debug.js";
import { docsRoutes } from "./routes/docs.js";
import { flowRoutes } from "./routes/flows.js";
import { jobRoutes } from "./routes/jobs.js";
import { DESCRIPTION, metaRoutes } from "./routes/meta.js";
import { monitoringRoutes } from "./routes/monitoring.js";
import { webSocketRoutes } from "./ws/routes.js";

export type { AppDeps, RouterDeps, SwaggerAssetLoader } from "./deps.js";

/**
 * A router mounted at run time (see `CreateAppOptions.extraRoutes`); its routes are not in `AppType`. An
 * `OpenAPIHono` (from `router()`) also adds its operations to the OpenAPI document; a plain Hono app does not.
 */
export type RouterFactory = (deps: RouterDeps) => Hono<AppEnv, Schema, string>;

export interface CreateAppOptions extends AppDeps {
  /**
   * Routers known only at run time (embedders, tests). Routers of this repository belong in the typed chain in
   * `createApp` instead, so that `AppType` — and with it `hono/client` — knows their routes.
   */
  extraRoutes?: RouterFactory[];
}

export const API_KEY_SCHEMES = { header: "ApiKeyHeader", bearer: "BearerAuth" } as const;

/**
 * The HTTP API as one Hono app, for every runtime: it imports no adapter and touches no file or environment
 * variable, so Node, Bun and Workers entries all serve the same app with their own `upgradeWebSocket`.
 *
 * Middleware order matters: the request id comes first so every response (errors included) carries it; an
 * over-long URL is refused next (414); the Host and Origin checks refuse what a web page must not do (DNS
 * rebinding, cross-site requests and WebSocket upgrades) before anything else runs, preflights included;
 * compression wraps everything it may compress; CORS answers the allowed origins' preflights before authentication
 * (browsers send no credentials on them) and decorates 401s so browsers can read them; the body is read (and
 * refused unless JSON) only once the caller is authenticated.
 */
export function createApp(options: CreateAppOptions) {
  const deps: RouterDeps = {
    ...options,
    logger: options.logger ?? jsonLogger({ level: options.config.logLevel }),
    audit: options.audit ?? jsonLinesAuditLog((line) => console.error(line)),
    version: options.version ?? "0.0.0-dev",
  };
  const { config } = deps;

  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.use(requestId({ limitLength: 128 }));
  app.use(urlLength());
  const listenHost = deps.listenHost === undefined ? config.host : deps.listenHost;
  app.use(hostCheck({ listenHost, allowedHosts: config.allowedHosts }));
  app.use(originCheck(config.corsOrigins));
  if (deps.compress) app.use(compressLarge(1024));
  app.use(corsFromConfig(config.corsOrigins));
  app.use(apiKeyAuth({ keys: config.apiKeys, audit: deps.audit }));
  app.use(requestBody({ maxBytes: config.maxBodyBytes }));

  app.openAPIRegistry.registerComponent("securitySchemes", API_KEY_SCHEMES.header, {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "One of the keys in `ROUTILUX_API_KEYS` (WebSockets also accept `?api_key=`)",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", API_KEY_SCHEMES.bearer, {
    type: "http",
    scheme: "bearer",
    description: "`Authorization: Bearer <key>`, the same keys as `X-API-Key`",
  });

  // Each area is a router factory of (deps) => OpenAPIHono. To add one (debug, dry-run, WebSockets under
  // src/api/ws/), append `.route("/", debugRoutes(deps))` to this chain: its routes then enter the OpenAPI
  // document, the 405 table, and `AppType` for hono/client. WebSocket routers find the runtime's upgrade in
  // `deps.upgradeWebSocket` (undefined under `app.request()` in tests); API keys on `/ws`, `/api/ws` and
  // `/api/ws/*` are already checked here, `?api_key=` included.
  const api = app
    .route("/", metaRoutes(deps))
    .route("/", flowRoutes(deps))
    .route("/", jobRoutes(deps))
    .route("/", breakpointRoutes(deps))
    .route("/", debugRoutes(deps))
    .route("/", monitoringRoutes(deps))
    .route("/", docsRoutes(deps))
    .route("/", webSocketRoutes(deps));
  for (const extra of options.extraRoutes ?? []) app.route("/", extra(deps));

  const documentConfig: Parameters<typeof app.getOpenAPI31Document>[0] = {
    openapi: "3.1.0",
    info: { title: "Routilux API", version: deps.version, description: DESCRIPTION },
    security: [{ [API_KEY_SCHEMES.header]: [] }, { [API_KEY_SCHEMES.bearer]: [] }],
    tags: [
      { name: "flows", description: "Flow definitions: create, inspect, edit, validate, export" },
      { name: "jobs", description: "Runs of a flow: start, list, control, inspect" },
      { name: "monitoring", description: "Metrics, traces, logs and the event log of jobs" },
      { name: "debug", description: "Breakpoints, pausing and stepping, variables, evaluation, dry-runs" },
      { name: "meta", description: "Service information and health probes" },
    ],
  };
  // Like `app.doc31`, plus the refusals every operation can give before its handler runs.
  app.get("/openapi.json", (c) => c.json(withRefusalResponses(app.getOpenAPI31Document(documentConfig))));
  app.onError(errorHandler(deps.logger));
  app.notFound(notFoundHandler(() => app.routes));
  return api;
}

/** The API's type for `hono/client`: `hc<AppType>("http://127.0.0.1:20555")`. */
export type AppType = ReturnType<typeof createApp>;
