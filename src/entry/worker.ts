import packageJson from "../../package.json" with { type: "json" };
import { createApp } from "../api/app.js";
import type { Config } from "../config.js";
import { DurableDebugService, DurableFlowService, DurableJobService } from "../edge/durable-services.js";
import { configFromEnv, type EdgeEnv } from "../edge/env.js";
import { routineRegistry } from "../edge/routines.js";
import { swaggerAssetsFromBinding } from "../edge/swagger-assets.js";
import { wsForwardingRoutes } from "../edge/ws-forwarding-routes.js";
import { limitsFromConfig } from "../service/limits.js";

export { JobObject } from "../edge/job-object.js";
export { RegistryObject } from "../edge/registry-object.js";

/**
 * The Cloudflare Workers entry: the same `createApp` as Node and Bun, over services that forward to Durable
 * Objects (one JobObject per job, one RegistryObject). No `compress()` (the edge compresses), no in-process
 * WebSocket hub: upgrades go to the object that holds the events (edge/ws-forwarding-routes.ts).
 */
function buildApp(env: EdgeEnv, config: Config) {
  const flows = new DurableFlowService(env);
  const jobs = new DurableJobService({
    env,
    flows,
    registry: routineRegistry(config),
    limits: limitsFromConfig(config),
  });
  return createApp({
    jobs,
    flows,
    debug: new DurableDebugService(env),
    config,
    // A Worker does not bind an address: the Host check applies only once ROUTILUX_ALLOWED_HOSTS is set.
    listenHost: null,
    compress: false,
    version: packageJson.version,
    swaggerAssets: swaggerAssetsFromBinding(env.ASSETS),
    extraRoutes: [wsForwardingRoutes(env, jobs, flows)],
  });
}

type App = ReturnType<typeof buildApp>;

// One app per isolate: the bindings object is the same for every request an isolate serves.
let built: { env: EdgeEnv; app: App } | undefined;

function appFor(env: EdgeEnv): App {
  if (built?.env !== env) built = { env, app: buildApp(env, configFromEnv(env)) };
  return built.app;
}

export default {
  fetch(request: Request, env: EdgeEnv, ctx: ExecutionContext): Response | Promise<Response> {
    return appFor(env).fetch(request, env, ctx);
  },
} satisfies ExportedHandler<EdgeEnv>;
