import { describe, expect, test } from "vitest";
import { isType, openSocket, startBunTarget, startNodeTarget } from "../support/ws.js";

describe("connection lifecycle", () => {
  test("a client that answers no protocol ping is closed with 4408 after missing two", async () => {
    const target = await startNodeTarget({ config: { wsHeartbeatSeconds: 1 } });
    try {
      const deaf = await openSocket(`${target.wsUrl}/ws`, { autoPong: false });
      const healthy = await openSocket(`${target.wsUrl}/ws`);
      const openedAt = Date.now();
      const closed = await deaf.waitClosed(6000);
      expect(closed.code).toBe(4408);
      // Pings at 1 s and 2 s go unanswered; the third beat closes it.
      expect(Date.now() - openedAt).toBeGreaterThan(1500);
      // App-level pings kept coming meanwhile; a client that answers protocol pings is untouched.
      expect(deaf.messages.filter(isType("ping")).length).toBeGreaterThanOrEqual(1);
      expect(healthy.closed).toBeNull();
      await healthy.close();
    } finally {
      await target.close();
    }
  });

  test("server shutdown sends connection:status closing, then closes with 1001 (Node)", async () => {
    const target = await startNodeTarget();
    const socket = await openSocket(`${target.wsUrl}/api/ws`);
    await socket.nextMessage(isType("connection:status"));
    await target.close();
    const { code } = await socket.waitClosed();
    expect(code).toBe(1001);
    expect(socket.messages.at(-1)).toEqual({ type: "connection:status", status: "closing" });
  });

  test("server shutdown sends connection:status closing, then closes with 1001 (Bun)", async () => {
    const target = await startBunTarget();
    expect(target, "the Bun entry did not start").not.toBeNull();
    const socket = await openSocket(`${target!.wsUrl}/ws`);
    await socket.nextMessage(isType("connection:status"));
    const closing = target!.close(); // SIGTERM: the entry's shutdown path
    const { code } = await socket.waitClosed();
    await closing;
    expect(code).toBe(1001);
    expect(socket.messages.at(-1)).toEqual({ type: "connection:status", status: "closing" });
  });
});
