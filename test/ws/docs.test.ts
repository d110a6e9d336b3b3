import { readFileSync } from "node:fs";
import vm from "node:vm";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { parseClientMessage } from "../../src/api/ws/protocol.js";
import { api, httpEvents, startNodeTarget, type WsTarget } from "../support/ws.js";

const root = new URL("../../", import.meta.url);
const page = readFileSync(new URL("docs/websocket-events.md", root), "utf8");
const client = readFileSync(new URL("docs/examples/ws-client.js", root), "utf8");
const blocks = (language: string): string[] =>
  [...page.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1]!);

describe("docs/websocket-events.md", () => {
  test("includes docs/examples/ws-client.js verbatim, and it parses", () => {
    expect(blocks("js")).toContain(client);
    expect(() => new vm.Script(client, { filename: "ws-client.js" })).not.toThrow();
  });

  test("every json block parses; every client message in it is accepted by the server", () => {
    const json = blocks("json");
    expect(json.length).toBeGreaterThan(20);
    for (const text of json) expect(() => JSON.parse(text), text).not.toThrow();
    // Client messages: those with an `action`, and the one example that gives its verb as `type` (a bare ping).
    const clientMessages = json.filter((text) => {
      const value = JSON.parse(text);
      return "action" in value || (value.type === "ping" && Object.keys(value).length === 1);
    });
    expect(clientMessages.length).toBe(9);
    for (const text of clientMessages) {
      expect(parseClientMessage(JSON.stringify(JSON.parse(text))), text).toMatchObject({ ok: true });
    }
  });

  describe("the browser client", () => {
    let target: WsTarget;
    beforeAll(async () => {
      target = await startNodeTarget({ config: { apiKeys: ["doc-key"] } });
    });
    afterAll(() => target.close());

    test("follows a job through two network cuts and sees every event once, in order", async () => {
      // The browser globals the client uses; `ws` stands in for the browser's WebSocket.
      const sockets: WebSocket[] = [];
      class BrowserWebSocket extends WebSocket {
        constructor(url: URL) {
          super(url);
          sockets.push(this);
        }
      }
      const context = vm.createContext({ WebSocket: BrowserWebSocket, URL, setTimeout, Math, JSON, String });
      new vm.Script(`${client}\nthis.followJob = followJob;`).runInContext(context);
      const job = await api({ ...target, headers: { "x-api-key": "doc-key" } }, "POST", "/api/jobs", {
        flow_id: "branching_flow",
        entry_routine_id: "source",
        entry_params: { data: "doc", count: 60, delay_ms: 5 },
      });
      const seen: number[] = [];
      const done = new Promise<void>((resolve) => {
        context.followJob(
          target.url,
          job.job_id,
          (event: { seq: number; type: string }) => {
            seen.push(event.seq);
            // Cut the network twice, mid-stream.
            if (seen.length === 200 || seen.length === 600) sockets.at(-1)!.terminate();
            if (event.type === "job_completed") resolve();
          },
          { apiKey: "doc-key" },
        );
      });
      await Promise.race([
        done,
        new Promise((_, reject) => setTimeout(() => reject(new Error("timed out")), 15_000)),
      ]);
      const logged = await httpEvents({ ...target, headers: { "x-api-key": "doc-key" } }, job.job_id);
      expect(seen).toEqual(logged.map((e) => e.seq));
      expect(sockets.length).toBeGreaterThanOrEqual(3);
    });
  });
});
