import { RoutineRegistry } from "../core/routine.js";
import { builtinRoutines, httpFetchRoutine } from "./builtins/index.js";
import { demoRoutines } from "./demo.js";
import type { Outbound } from "./outbound/outbound-fetch.js";

export * from "./builtins/index.js";
export * from "./demo.js";
export { demoFlows } from "./demo-flows.js";

export interface RegistryOptions {
  /**
   * The runtime's outbound connector and the operator's policy (`ROUTILUX_FETCH_*`), for `HttpFetch`. Without
   * it `HttpFetch` uses the Web `fetch` under the default policy.
   */
  outbound?: Outbound;
}

/** A registry with every built-in and the demo flows' routines: what a server offers out of the box. */
export function defaultRegistry(options: RegistryOptions = {}): RoutineRegistry {
  const registry = new RoutineRegistry().registerAll([...builtinRoutines, ...demoRoutines]);
  if (options.outbound) registry.register(httpFetchRoutine(options.outbound), { replace: true });
  return registry;
}
