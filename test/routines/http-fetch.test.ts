import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { RoutineRegistry } from "../../src/core/routine.js";
import { nodeOutbound } from "../../src/entry/node-outbound.js";
import { HttpFetch, httpFetchRoutine } from "../../src/routines/index.js";
import { flowFrom, type RunOptions, runFlow as runWith, testRegistry } from "./support/run-flow.js";

/** A real HTTP server on 127.0.0.1:0; each path is one behaviour the tests ask for. */
let server: Server;
let base: string;
/** A second server: another origin, for redirects that leave the first. */
let otherServer: Server;
let otherBase: string;
/** Built-ins with `HttpFetch` on the Node connector, allowed to reach 127.0.0.1 (where the test servers are). */
let registry: RoutineRegistry;
const seen: { method: string; url: string; headers: IncomingMessage["headers"]; body: string }[] = [];

function reply(req: IncomingMessage, res: ServerResponse, body: string): void {
  seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
  const path = new URL(req.url ?? "/", base).pathname;
  if (path.startsWith("/users/")) {
    res.writeHead(200, { "content-type": "application/json", "x-served-by": "test" });
    res.end(JSON.stringify({ id: path.slice("/users/".length), name: "Ada" }));
  } else if (path === "/echo") {
    res.writeHead(201, { "content-type": "text/plain" });
    res.end(body);
  } else if (path === "/missing") {
    res.writeHead(404, { "content-type": "application/problem+json" });
    res.end(JSON.stringify({ title: "not found" }));
  } else if (path === "/slow") {
    setTimeout(() => res.end("late"), 2_000).unref();
  } else if (path.startsWith("/status/")) {
    // Redirects to `location`, with the status the path names.
    const location = new URL(req.url ?? "/", base).searchParams.get("location") ?? "/echo";
    res.writeHead(Number(path.slice("/status/".length)), { location });
    res.end();
  } else if (path === "/big") {
    res.writeHead(200, { "content-type": "text/plain" });
    res.end("x".repeat(10_000));
  } else {
    res.writeHead(500);
    res.end("boom");
  }
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => reply(req, res, Buffer.concat(chunks).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  otherServer = createServer(server.listeners("request")[0] as Parameters<typeof createServer>[0]);
  await new Promise<void>((resolve) => otherServer.listen(0, "127.0.0.1", resolve));
  otherBase = `http://127.0.0.1:${(otherServer.address() as AddressInfo).port}`;
  registry = allowing(["127.0.0.1"]);
});

afterAll(async () => {
  for (const each of [server, otherServer]) {
    each.closeAllConnections();
    await new Promise((resolve) => each.close(resolve));
  }
});

function allowing(fetchAllow: string[], caps = { fetchMaxBytes: 10 * 1024 * 1024, fetchTimeoutMs: 30_000 }) {
  return testRegistry().register(httpFetchRoutine(nodeOutbound({ fetchAllow, ...caps })), { replace: true });
}

const runFlow = (dsl: unknown, params = {}, options: RunOptions = {}) =>
  runWith(dsl, params, { registry, ...options });

const fetchFlow = (config: Record<string, unknown>, errorHandler?: unknown) => ({
  routines: {
    start: { class: "Start" },
    fetch: { class: "HttpFetch", config, ...(errorHandler ? { error_handler: errorHandler } : {}) },
    responses: { class: "Sink", config: { key: "responses" } },
    errors: { class: "Sink", config: { key: "errors" } },
  },
  connections: [
    { from: "start.output", to: "fetch.input" },
    { from: "fetch.response", to: "responses.input" },
    { from: "fetch.error", to: "errors.input" },
  ],
});

describe("HttpFetch", () => {
  test("GET a templated URL: `response` carries status, headers and the parsed JSON body", async () => {
    const run = await runFlow(
      fetchFlow({ url: `${base}/users/{{user_id}}`, headers: { "x-api-key": "k1" } }),
      {
        user_id: 42,
      },
    );
    expect(run.record.status).toBe("completed");
    const [response] = run.job.shared.responses as Record<string, unknown>[];
    expect(response).toMatchObject({ status: 200, ok: true, body: { id: "42", name: "Ada" } });
    expect(response!.headers).toMatchObject({ "content-type": "application/json", "x-served-by": "test" });
    expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/users/42", body: "" });
    expect(seen.at(-1)!.headers["x-api-key"]).toBe("k1");
  });

  test("POST sends the payload as JSON; a text response stays text", async () => {
    const run = await runFlow(fetchFlow({ url: `${base}/echo`, method: "POST" }), { order: 1 });
    expect(run.job.shared.responses).toEqual([
      expect.objectContaining({ status: 201, ok: true, body: '{"order":1}' }),
    ]);
    expect(seen.at(-1)!.headers["content-type"]).toBe("application/json");
  });

  test("an HTTP error status is still a `response`, with ok false", async () => {
    const run = await runFlow(fetchFlow({ url: `${base}/missing` }), {});
    expect(run.job.shared.responses).toEqual([
      expect.objectContaining({ status: 404, ok: false, body: { title: "not found" } }),
    ]);
  });

  test("no response in time: `error` says so, and the job goes on", async () => {
    const run = await runFlow(fetchFlow({ url: `${base}/slow`, timeout_ms: 50 }), {});
    expect(run.record.status).toBe("completed");
    expect(run.job.shared.errors).toEqual([{ error: "request timed out after 50 ms", url: `${base}/slow` }]);
    expect(run.elapsedMs).toBeLessThan(1_500);
  });

  test("a refused connection to an allowed address and an oversized body are errors too", async () => {
    const closed = await runFlow(fetchFlow({ url: "http://127.0.0.1:1/" }), {});
    expect((closed.job.shared.errors as { error: string }[])[0]!.error).toMatch(/ECONNREFUSED/);
    const big = await runFlow(fetchFlow({ url: `${base}/big`, max_response_bytes: 1_000 }), {});
    expect(big.job.shared.errors).toEqual([
      { error: "response body is larger than 1000 bytes", url: `${base}/big` },
    ]);
  });

  test("on_error: fail hands failures to the error handler, e.g. retry", async () => {
    const run = await runFlow(
      fetchFlow(
        { url: `${base}/slow`, timeout_ms: 20, on_error: "fail" },
        { strategy: "retry", max_retries: 1, retry_delay: 0.01 },
      ),
      {},
    );
    expect(run.record.status).toBe("failed");
    expect(run.record.error).toBe("Routine 'fetch' failed: request timed out after 20 ms");
    const failures = run.events
      .filter((event) => event.type === "routine_failed")
      .map((event) => event.data.status);
    expect(failures).toEqual(["retrying", "failed"]);
  });

  test("only http and https; a URL whose field is missing is an error", async () => {
    const file = await runFlow(fetchFlow({ url: "file:///etc/passwd" }), {});
    expect(file.job.shared.errors).toEqual([
      { error: "only http and https URLs can be fetched, not 'file:'", url: "file:///etc/passwd" },
    ]);
    const missing = await runFlow(fetchFlow({ url: `${base}/users/{{id}}` }), {});
    expect((missing.job.shared.errors as { error: string }[])[0]!.error).toBe(
      "template field 'id' is missing",
    );
  });

  test("cancelling the job aborts the request", async () => {
    const run = await runFlow(
      fetchFlow({ url: `${base}/slow` }),
      {},
      {
        withinMs: 1_000,
        whileRunning: async (job) => {
          await new Promise((resolve) => setTimeout(resolve, 30));
          job.cancel();
        },
      },
    );
    expect(run.record.status).toBe("cancelled");
    expect(run.job.shared.errors).toBeUndefined();
  });

  test("is marked as a side effect, so a dry-run stubs it; a bad method is a flow error", () => {
    expect(HttpFetch.sideEffects).toBe(true);
    expect(() => flowFrom(fetchFlow({ url: base, method: "TRACE" }), registry)).toThrow(
      /routine 'fetch': invalid config at 'method'/,
    );
  });

  test("a private destination not allowed fails like any failure, through on_error", async () => {
    const strict = allowing([]);
    const emitted = await runFlow(fetchFlow({ url: `${base}/echo` }), {}, { registry: strict });
    expect(emitted.job.shared.errors).toEqual([
      { error: "destination not allowed: 127.0.0.1", url: `${base}/echo` },
    ]);
    const failed = await runFlow(
      fetchFlow({ url: `${base}/echo`, on_error: "fail" }),
      {},
      { registry: strict },
    );
    expect(failed.record.error).toBe("Routine 'fetch' failed: destination not allowed: 127.0.0.1");
  });

  test("an allow entry with a port opens that port only", async () => {
    const onePort = allowing([new URL(base).host]);
    const yes = await runFlow(fetchFlow({ url: `${base}/users/1` }), {}, { registry: onePort });
    expect(yes.job.shared.responses).toHaveLength(1);
    const no = await runFlow(fetchFlow({ url: `${otherBase}/users/1` }), {}, { registry: onePort });
    expect(no.job.shared.errors).toEqual([
      { error: "destination not allowed: 127.0.0.1", url: `${otherBase}/users/1` },
    ]);
  });

  test("the routine's caps only lower the server's", async () => {
    const capped = allowing(["127.0.0.1"], { fetchMaxBytes: 1_000, fetchTimeoutMs: 30_000 });
    const big = await runFlow(
      fetchFlow({ url: `${base}/big`, max_response_bytes: 50_000 }),
      {},
      {
        registry: capped,
      },
    );
    expect(big.job.shared.errors).toEqual([
      { error: "response body is larger than 1000 bytes", url: `${base}/big` },
    ]);
    const quick = allowing(["127.0.0.1"], { fetchMaxBytes: 1_000, fetchTimeoutMs: 50 });
    const slow = await runFlow(
      fetchFlow({ url: `${base}/slow`, timeout_ms: 60_000 }),
      {},
      { registry: quick },
    );
    expect(slow.job.shared.errors).toEqual([{ error: "request timed out after 50 ms", url: `${base}/slow` }]);
  });

  test("303, and 302 after POST, continue as GET without the body", async () => {
    for (const status of [303, 302]) {
      const run = await runFlow(
        fetchFlow({ url: `${base}/status/${status}?location=/echo`, method: "POST" }),
        {
          order: 1,
        },
      );
      expect(run.job.shared.responses).toEqual([expect.objectContaining({ status: 201, body: "" })]);
      expect(seen.at(-1)).toMatchObject({ method: "GET", url: "/echo", body: "" });
      expect(seen.at(-1)!.headers["content-type"]).toBeUndefined();
    }
  });

  test("307 on the same origin keeps the method, the body and the credentials", async () => {
    const run = await runFlow(
      fetchFlow({
        url: `${base}/status/307?location=/echo`,
        method: "POST",
        headers: { authorization: "Bearer t" },
      }),
      { order: 2 },
    );
    expect(run.job.shared.responses).toEqual([expect.objectContaining({ status: 201, body: '{"order":2}' })]);
    expect(seen.at(-1)).toMatchObject({ method: "POST", url: "/echo" });
    expect(seen.at(-1)!.headers.authorization).toBe("Bearer t");
  });

  test("a redirect to another origin drops the Authorization header and the body", async () => {
    const location = encodeURIComponent(`${otherBase}/echo`);
    const run = await runFlow(
      fetchFlow({
        url: `${base}/status/307?location=${location}`,
        method: "POST",
        headers: { authorization: "Bearer t", "x-api-key": "k" },
      }),
      { order: 3 },
    );
    expect(run.job.shared.responses).toEqual([expect.objectContaining({ status: 201, body: "" })]);
    expect(seen.at(-1)!.headers.authorization).toBeUndefined();
    expect(seen.at(-1)!.headers["x-api-key"]).toBe("k");
  });

  test("the exported HttpFetch (the Web fetch, no connector) refuses private literals and localhost", async () => {
    const plain = testRegistry().register(HttpFetch, { replace: true });
    for (const url of [
      `${base}/echo`,
      "http://localhost:1/",
      "http://[::ffff:a00:1]/",
      "http://169.254.169.254/",
    ]) {
      const run = await runFlow(fetchFlow({ url }), {}, { registry: plain });
      const host = new URL(url).hostname;
      expect(run.job.shared.errors).toEqual([{ error: `destination not allowed: ${host}`, url }]);
    }
  });
});
