import { upgradeWebSocket, websocket } from "hono/bun";
import type { CreateAppOptions } from "../api/app.js";
import { jsonLogger, type Logger } from "../api/logger.js";
import { bunSocketAccess } from "../api/ws/index.js";
import { loadConfig } from "../config.js";
import { defaultRegistry } from "../routines/index.js";
import { limitsFromConfig } from "../service/limits.js";
import { createServices } from "../service/services.js";
import { heapLimitBytes } from "./heap-limit.js";
import { localApp } from "./local-runtime.js";
import type { RunningServer } from "./node.js";
import { nodeOutbound } from "./node-outbound.js";
import { openLocalStore } from "./node-services.js";
import { listenError, startupFailureLine } from "./startup-error.js";

/**
 * The Bun entry: `Bun.serve` with `hono/bun` WebSockets and `bun:sqlite`. Run it directly —
 * `npx bun src/entry/bun.ts` — and it prints `listening on http://<host>:<port>` on stdout (logs go to stderr)
 * and shuts down cleanly on SIGINT/SIGTERM.
 */

// The slice of Bun's global this file uses, typed here so `tsc` under Node checks it without @types/bun.
interface BunServer {
  readonly port: number;
  stop(closeActiveConnections?: boolean): Promise<void>;
}
interface BunRuntime {
  serve(options: {
    port: number;
    hostname: string;
    fetch: (request: Request, server: BunServer) => Response | Promise<Response>;
    websocket: typeof websocket & Partial<Record<"pong" | "drain", (ws: unknown) => void>>;
  }): BunServer;
}
const bun = (): BunRuntime => (globalThis as unknown as { Bun: BunRuntime }).Bun;

export interface BunServerOptions
  extends Omit<CreateAppOptions, "upgradeWebSocket" | "compress" | "listenHost"> {
  port?: number;
  host?: string;
  /** Runs first on `close()`, while sockets are still open. */
  beforeClose?: () => void | Promise<void>;
}

export async function startBunServer(options: BunServerOptions): Promise<RunningServer> {
  const { config } = options;
  const host = options.host ?? config.host;
  const { app, ws } = localApp({ ...options, listenHost: host }, bunSocketAccess, upgradeWebSocket);
  const websocketHandlers = {
    ...websocket,
    pong: (raw: unknown) => ws.pong(raw),
    drain: (raw: unknown) => ws.drain(raw),
  };
  const port = options.port ?? config.port;
  let server: BunServer;
  try {
    server = bun().serve({ port, hostname: host, fetch: app.fetch, websocket: websocketHandlers });
  } catch (error) {
    throw listenError(host, port, error);
  }
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${server.port}`,
    port: server.port,
    close: () => {
      closing ??= (async () => {
        await options.beforeClose?.();
        ws.closeAll();
        // Let requests in flight finish; WebSockets are closed by Bun with 1001 ("going away").
        await server.stop(false);
      })();
      return closing;
    },
  };
}

const SWEEP_EVERY_MS = 10 * 60 * 1000;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger: Logger = jsonLogger({ level: config.logLevel });
  const services = await createServices({
    store: await openLocalStore(config),
    // node:http with a checking `lookup` works on Bun too (see node-outbound.ts).
    registry: defaultRegistry({ outbound: nodeOutbound(config) }),
    limits: limitsFromConfig(config, heapLimitBytes()),
    retention: { jobs: config.retentionJobs, days: config.retentionDays },
    onError: (error) => logger.error("job error", { error: String(error) }),
  });
  if (services.interrupted > 0)
    logger.warn("jobs interrupted by restart marked failed", { count: services.interrupted });
  const server = await startBunServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    registry: services.registry,
    logger,
  }).catch(async (error: unknown) => {
    await services.close();
    throw error;
  });
  process.stdout.write(`listening on ${server.url}\n`);

  const sweeper = setInterval(() => {
    services.sweep().catch((error) => logger.error("retention sweep failed", { error: String(error) }));
  }, SWEEP_EVERY_MS);
  sweeper.unref?.();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    clearInterval(sweeper);
    await server.close();
    await services.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void shutdown("SIGINT"));
  process.once("SIGTERM", () => void shutdown("SIGTERM"));
}

if ((import.meta as ImportMeta & { main?: boolean }).main) {
  await main().catch((error: unknown) => {
    const line = startupFailureLine(error);
    if (line === undefined) throw error;
    process.stderr.write(`${line}\n`);
    process.exit(1);
  });
}
