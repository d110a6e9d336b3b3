import { describe, expect, test } from "vitest";
import { MAX_CLIENT_MESSAGE_BYTES, parseClientMessage } from "../../src/api/ws/protocol.js";

describe("parseClientMessage", () => {
  test("the verb may be under action or type", () => {
    expect(parseClientMessage('{"action":"ping"}')).toEqual({ ok: true, message: { action: "ping" } });
    expect(parseClientMessage('{"type":"subscribe_all"}')).toEqual({
      ok: true,
      message: { action: "subscribe_all" },
    });
  });

  test("subscribe takes event types, a job id and a since", () => {
    expect(parseClientMessage('{"action":"subscribe","events":["job_started","breakpoint_hit"]}')).toEqual({
      ok: true,
      message: { action: "subscribe", events: ["job_started", "breakpoint_hit"] },
    });
    expect(parseClientMessage('{"action":"subscribe","job_id":"j1","since":3}')).toMatchObject({
      ok: true,
      message: { job_id: "j1", since: 3 },
    });
  });

  test("unknown verbs are UNKNOWN_ACTION", () => {
    expect(parseClientMessage('{"action":"explode"}')).toMatchObject({ ok: false, code: "UNKNOWN_ACTION" });
  });

  test.each([
    ["not JSON", "{nope"],
    ["not an object", "[1,2]"],
    ["no verb", '{"events":[]}'],
    ["an unknown event type", '{"action":"subscribe","events":["job_exploded"]}'],
    ["subscribe with nothing to subscribe", '{"action":"subscribe"}'],
    ["resume without since", '{"action":"resume","job_id":"j1"}'],
    ["a negative since", '{"action":"resume","job_id":"j1","since":-1}'],
    ["a bad job id", '{"action":"subscribe","job_id":"a b"}'],
  ])("%s is BAD_MESSAGE", (_name, text) => {
    expect(parseClientMessage(text)).toMatchObject({ ok: false, code: "BAD_MESSAGE" });
  });

  test("messages over the size cap are BAD_MESSAGE, counted in UTF-8 bytes", () => {
    const padding = "x".repeat(MAX_CLIENT_MESSAGE_BYTES);
    expect(parseClientMessage(`{"action":"ping","pad":"${padding}"}`)).toMatchObject({
      ok: false,
      code: "BAD_MESSAGE",
      message: expect.stringContaining("exceeds"),
    });
    const wide = "é".repeat(MAX_CLIENT_MESSAGE_BYTES / 2);
    expect(parseClientMessage(`{"action":"ping","pad":"${wide}"}`)).toMatchObject({
      ok: false,
      code: "BAD_MESSAGE",
    });
    expect(parseClientMessage(`{"action":"ping","pad":"${"é".repeat(1000)}"}`)).toMatchObject({ ok: true });
  });
});
