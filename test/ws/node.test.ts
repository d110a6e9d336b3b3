import { startNodeTarget } from "../support/ws.js";
import { coreWebSocketSuite, TEST_HEARTBEAT_SECONDS, TEST_KEY } from "./core-suite.js";

coreWebSocketSuite(
  "Node",
  () => startNodeTarget({ config: { apiKeys: [TEST_KEY], wsHeartbeatSeconds: TEST_HEARTBEAT_SECONDS } }),
  // @hono/node-server 2.1.9 answers a refused upgrade with the status and headers only (Content-Length: 0).
  { refusalHasBody: false },
);
