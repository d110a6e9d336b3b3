import { SELF } from "cloudflare:test";
import { expect } from "vitest";
import { eventually } from "./support.js";

/** A WebSocket to the Worker under test, with every message it received kept in order. */
export interface TestSocket {
  messages: Record<string, unknown>[];
  send(message: unknown): void;
  sendText(text: string): void;
  /** Waits until a message matching `match` has arrived (after `from`, an index into `messages`). */
  next(match: (message: Record<string, unknown>) => boolean, from?: number): Promise<Record<string, unknown>>;
  close(): void;
}

export async function openSocket(path: string): Promise<TestSocket> {
  const response = await SELF.fetch(`https://routilux.test${path}`, { headers: { Upgrade: "websocket" } });
  expect(response.status).toBe(101);
  const ws = response.webSocket!;
  const messages: Record<string, unknown>[] = [];
  ws.addEventListener("message", (event) => {
    messages.push(JSON.parse(String(event.data)) as Record<string, unknown>);
  });
  ws.accept();
  return {
    messages,
    send: (message) => ws.send(JSON.stringify(message)),
    sendText: (text) => ws.send(text),
    next: (match, from = 0) => eventually(async () => messages.slice(from).find(match)),
    close: () => ws.close(1000, "done"),
  };
}

export const ofType = (type: string) => (message: Record<string, unknown>) => message.type === type;
