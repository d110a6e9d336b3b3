import { RoutineRegistry } from "../core/routine.js";
import { builtinRoutines } from "./builtins/index.js";
import { demoRoutines } from "./demo.js";

export * from "./builtins/index.js";
export * from "./demo.js";
export { demoFlows } from "./demo-flows.js";

/** A registry with every built-in and the demo flows' routines: what a server offers out of the box. */
export function defaultRegistry(): RoutineRegistry {
  return new RoutineRegistry().registerAll([...builtinRoutines, ...demoRoutines]);
}
