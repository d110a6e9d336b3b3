import type { RoutineRegistry } from "../core/routine.js";
import { defaultRegistry } from "../routines/index.js";

let registry: RoutineRegistry | undefined;

/**
 * The routine types every part of the deployment resolves flows against: built once per isolate and shared by
 * the Worker and every object in it (compiled flows are cached per registry, so one instance means one cache).
 */
export function routineRegistry(): RoutineRegistry {
  registry ??= defaultRegistry();
  return registry;
}
