/**
 * `routilux/node`: serve a `createRoutilux()` instance on Node with WebSockets, gzip and Swagger UI — what
 * `routilux serve` runs. (On Bun, serve `routilux.app` with `Bun.serve`; see docs/getting-started.md.)
 */
import type { Routilux } from "./entry/create-routilux.js";
import { type NodeServerOptions, type RunningServer, startNodeServer } from "./entry/node.js";

export { type NodeServerOptions, type RunningServer, startNodeServer } from "./entry/node.js";
export { openSqliteStore } from "./entry/sqlite-file.js";

export type ListenOptions = Partial<Omit<NodeServerOptions, "jobs" | "flows" | "debug" | "registry">>;

/**
 * Serves the API of `routilux` on `port` (default `config.port`; 0 picks a free one) until `close()`. The server
 * builds its own app over the same services, so jobs started through `routilux.run` show in its API.
 */
export function listen(routilux: Routilux, options: ListenOptions = {}): Promise<RunningServer> {
  return startNodeServer({
    ...options,
    config: options.config ?? routilux.config,
    jobs: routilux.jobs,
    flows: routilux.flows,
    debug: routilux.debug,
    registry: routilux.registry,
  });
}
