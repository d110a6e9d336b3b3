import type { UpgradeWebSocket } from "hono/ws";
import type { Config } from "../config.js";
import type { RoutineRegistry } from "../core/routine.js";
import type { DebugService } from "../service/debug-service.js";
import type { FlowService } from "../service/flow-service.js";
import type { JobService } from "../service/job-service.js";
import type { Logger } from "./logger.js";
import type { AuditLog } from "./middleware/audit.js";
import type { WsHub } from "./ws/hub.js";

/**
 * Serves one file of the swagger-ui-dist package (`swagger-ui.css`, `swagger-ui-bundle.js`, …), or null when there
 * is no such file. The Node and Bun entries read node_modules; a Workers build can serve bundled copies.
 */
export type SwaggerAssetLoader = (name: string) => Promise<Response | null>;

/** Everything the HTTP API needs from the runtime, passed in by an entry (src/entry/*). */
export interface AppDeps {
  jobs: JobService;
  flows: FlowService;
  config: Config;
  /**
   * The address the server listens on, for the Host check (middleware/host-check.ts): `config.host` unless given.
   * The Node and Bun entries pass the address they bound; null where the runtime does not listen itself (Workers).
   */
  listenHost?: string | null;
  /** For the breakpoint and debug routers (src/api/routes/debug*.ts, not mounted by this file's author). */
  debug?: DebugService;
  /** The routine types, for `POST /api/flows/{flow_id}/dry-run` (which answers 404 without it). */
  registry?: RoutineRegistry;
  /** The runtime's WebSocket upgrade (`@hono/node-server`, `hono/bun`, `hono/cloudflare-workers`). */
  upgradeWebSocket?: UpgradeWebSocket;
  /** The WebSocket hub (src/api/ws/); the entry makes it, so that shutdown can close its sockets. */
  ws?: WsHub;
  /** Structured log of server errors; JSON lines on stderr at `config.logLevel` by default. */
  logger?: Logger;
  /** Audit log (auth failures, expression evaluation); JSON lines on stderr by default. */
  audit?: AuditLog;
  /** gzip responses of 1 KiB or more. Node and Bun pass true; the Workers edge compresses by itself. */
  compress?: boolean;
  /** Reported by `GET /` and the OpenAPI document. */
  version?: string;
  swaggerAssets?: SwaggerAssetLoader;
}

/** What each router factory receives: `AppDeps` with its defaults filled in. */
export interface RouterDeps extends AppDeps {
  logger: Logger;
  audit: AuditLog;
  version: string;
}
