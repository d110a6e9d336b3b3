import { startBunTarget } from "../support/ws.js";
import { coreWebSocketSuite, TEST_HEARTBEAT_SECONDS, TEST_KEY } from "./core-suite.js";

// The Bun entry as a child process (`npx bun src/entry/bun.ts`, port 0, memory store).
coreWebSocketSuite("Bun", () =>
  startBunTarget({
    ROUTILUX_API_KEYS: TEST_KEY,
    ROUTILUX_WS_HEARTBEAT_SECONDS: String(TEST_HEARTBEAT_SECONDS),
  }),
);
