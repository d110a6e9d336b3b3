import type { NodeServerOptions, RunningServer } from "./node.js";
import { isBun } from "./runtime.js";

/**
 * Serves the API with the runtime this process runs on: `Bun.serve` on Bun, `@hono/node-server` on Node. Each
 * entry is imported only on its own runtime (the Bun entry imports `bun:sqlite`, which Node cannot load).
 */
export async function startLocalServer(options: NodeServerOptions): Promise<RunningServer> {
  if (isBun()) return (await import("./bun.js")).startBunServer(options);
  return (await import("./node.js")).startNodeServer(options);
}
