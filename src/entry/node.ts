import type { AddressInfo } from "node:net";
import { serve, upgradeWebSocket } from "@hono/node-server";
import { WebSocketServer } from "ws";
import type { CreateAppOptions } from "../api/app.js";
import { nodeSocketAccess } from "../api/ws/index.js";
import { localApp } from "./local-runtime.js";
import { answerClientErrors } from "./node-client-errors.js";
import { upgradeRefusals } from "./node-upgrade-refusals.js";
import { listenError } from "./startup-error.js";

export interface NodeServerOptions
  extends Omit<CreateAppOptions, "upgradeWebSocket" | "compress" | "listenHost"> {
  /** Defaults to `config.port` (0 picks a free port). */
  port?: number;
  /** Defaults to `config.host`. */
  host?: string;
  /** Runs first on `close()`, while sockets are still open (e.g. to tell WebSocket clients "closing"). */
  beforeClose?: () => void | Promise<void>;
  /** How long `close()` lets open requests finish before cutting their connections. Default 5 s. */
  closeGraceMs?: number;
}

export interface RunningServer {
  /** `http://<host>:<port>` */
  url: string;
  port: number;
  /** Stops accepting, closes WebSockets (1001) and idle connections, then the rest after the grace period. */
  close(): Promise<void>;
}

/**
 * Serves the API on Node with `@hono/node-server` 2.x: its built-in WebSocket support (a `ws` server in
 * `noServer` mode handed to `serve`, refused upgrades answered in full by `upgradeRefusals`) and gzip for responses
 * of 1 KiB or more. Resolves once listening. Installs no
 * signal handlers: the CLI decides what a signal means and calls `close()`.
 */
export async function startNodeServer(options: NodeServerOptions): Promise<RunningServer> {
  const { config } = options;
  const host = options.host ?? config.host;
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const { app, ws } = localApp({ ...options, listenHost: host }, nodeSocketAccess, upgradeWebSocket);
  const refusals = upgradeRefusals(app.fetch, wss);

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const port = options.port ?? config.port;
    const failed = (error: unknown) => reject(listenError(host, port, error));
    const started = serve({ fetch: refusals.fetch, port, hostname: host, websocket: { server: wss } }, () => {
      started.off("error", failed);
      resolve(started);
    });
    started.once("error", failed);
  });
  refusals.listen(server);
  answerClientErrors(server);
  const { port } = server.address() as AddressInfo;
  const graceMs = options.closeGraceMs ?? 5000;

  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    await options.beforeClose?.();
    ws.closeAll();
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of wss.clients) socket.close(1001, "server shutting down");
    if ("closeIdleConnections" in server) server.closeIdleConnections();
    const cutOff = setTimeout(() => {
      for (const socket of wss.clients) socket.terminate();
      if ("closeAllConnections" in server) server.closeAllConnections();
    }, graceMs);
    cutOff.unref();
    await stopped;
    clearTimeout(cutOff);
  };

  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${port}`,
    port,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
