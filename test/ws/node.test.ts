import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startNodeTarget, type WsTarget } from "../support/ws.js";
import { coreWebSocketSuite, TEST_HEARTBEAT_SECONDS, TEST_KEY } from "./core-suite.js";

coreWebSocketSuite("Node", () =>
  startNodeTarget({ config: { apiKeys: [TEST_KEY], wsHeartbeatSeconds: TEST_HEARTBEAT_SECONDS } }),
);

describe("refused upgrades on Node", () => {
  let target: WsTarget;
  beforeAll(async () => {
    target = await startNodeTarget();
  });
  afterAll(() => target.close());

  /** Sends one upgrade request as raw bytes and resolves with everything the server wrote before it closed. */
  const rawUpgrade = (requestLine: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(new URL(target.url).port), "127.0.0.1");
      let answer = "";
      socket.setEncoding("utf8");
      socket.on("data", (text: string) => {
        answer += text;
      });
      socket.on("close", () => resolve(answer));
      socket.setTimeout(5000, () => {
        socket.destroy();
        reject(new Error(`no end of answer within 5 s: ${answer}`));
      });
      socket.write(
        `${requestLine}\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
      );
    });

  test("a request target that is not a URL gets 400 with the error envelope, and the connection ends", async () => {
    const answer = await rawUpgrade("GET http://[::1/ws HTTP/1.1");
    const [head, body] = answer.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 400 /);
    expect(head).toMatch(/\r\nConnection: close\r\n/i);
    expect(head).toContain(`Content-Length: ${Buffer.byteLength(body!)}`);
    expect(JSON.parse(body!)).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
  });
});
