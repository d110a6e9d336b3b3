import type { Config } from "../config.js";
import type { RoutineRegistry } from "../core/routine.js";
import { defaultRegistry } from "../routines/index.js";
import { outboundPolicy } from "../routines/outbound/policy.js";
import { webOutbound } from "../routines/outbound/web-connector.js";

let registry: RoutineRegistry | undefined;

/**
 * The routine types every part of the deployment resolves flows against: built once per isolate and shared by
 * the Worker and every object in it (compiled flows are cached per registry, so one instance means one cache).
 * An isolate serves one deployment, so its bindings, and with them `ROUTILUX_FETCH_*`, are the same for all.
 * `HttpFetch` uses Cloudflare's `fetch`, which cannot reach the machine's private network; the URL check still
 * refuses private literals and the caps and timeout apply (routines/outbound/web-connector.ts).
 */
export function routineRegistry(config: Config): RoutineRegistry {
  registry ??= defaultRegistry({ outbound: webOutbound(outboundPolicy(config)) });
  return registry;
}
