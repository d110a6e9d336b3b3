/**
 * What the hub needs from a runtime's own socket object (hono's `WSContext.raw`) beyond sending and closing: how
 * much is still buffered (backpressure) and protocol-level pings. The entry of each runtime passes its access in;
 * nothing here imports a runtime. The shapes below are the few members each runtime documents, typed structurally.
 */
export interface SocketAccess {
  /** Bytes accepted by `send` and not yet written to the network. */
  bufferedAmount(raw: unknown): number;
  /** Sends a protocol ping; absent where the runtime cannot. */
  ping?(raw: unknown): void;
  /**
   * Subscribes to the socket's own pong frames, where the runtime reports them per socket. Runtimes that report
   * them to a server-wide handler (Bun) leave this out and their entry calls `WsHub.pong(raw)` instead.
   */
  onPong?(raw: unknown, listener: () => void): void;
}

/** The `ws` package's WebSocket, which `@hono/node-server` 2.x hands over as `raw`. */
interface NodeWsSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  ping(): void;
  on(event: "pong", listener: () => void): unknown;
}

const WS_OPEN = 1;

export const nodeSocketAccess: SocketAccess = {
  bufferedAmount: (raw) => (raw as NodeWsSocket).bufferedAmount,
  ping(raw) {
    const socket = raw as NodeWsSocket;
    // `ws` throws when pinging a socket that is closing; a closing socket needs no heartbeat.
    if (socket.readyState === WS_OPEN) socket.ping();
  },
  onPong: (raw, listener) => {
    (raw as NodeWsSocket).on("pong", listener);
  },
};

/** Bun's `ServerWebSocket`, which `hono/bun` hands over as `raw`. */
interface BunServerSocket {
  readonly readyState: number;
  getBufferedAmount(): number;
  ping(): number;
}

/**
 * Bun reports pongs and drains to the `websocket` handlers given to `Bun.serve`; the Bun entry forwards them to
 * `WsHub.pong(ws)` and `WsHub.drain(ws)`.
 */
export const bunSocketAccess: SocketAccess = {
  bufferedAmount: (raw) => (raw as BunServerSocket).getBufferedAmount(),
  ping(raw) {
    const socket = raw as BunServerSocket;
    if (socket.readyState === WS_OPEN) socket.ping();
  },
};
