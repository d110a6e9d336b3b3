/** The WebSocket protocol of docs/websocket-events.md: mount `wsRoutes(hub, upgradeWebSocket)`, close with `hub.closeAll()`. */
export type { ConnectionScope } from "./connection.js";
export type { DebugSessionSource } from "./debug-session.js";
export { WsHub, type WsHubOptions, type WsHubStats } from "./hub.js";
export { wsRoutes } from "./routes.js";
export { bunSocketAccess, nodeSocketAccess, type SocketAccess } from "./socket-access.js";
