import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ErrorSchema } from "../../src/api/schemas/common.js";
import { bunAvailable, startServer, type Target, type TestServer } from "../support/server.js";
import { openSocket, refusedUpgrade } from "../support/ws.js";
import { expectHealthy, guardPrototype } from "./support.js";

/**
 * A web page cannot drive a local server: DNS rebinding (a foreign `Host`), cross-site requests and WebSockets (a
 * foreign `Origin`) and form posts (a body that is not JSON) are refused before they do anything, on every runtime.
 */

guardPrototype();

const BUN_OK = bunAvailable();
const TARGETS: Target[] = ["node", "bun"];
const EVIL = "https://evil.example";

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One request over node:http, which (unlike fetch) lets a test choose the `Host` header. */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${url}${path}`, { method, headers, timeout: 5000 }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () =>
        resolve({ status: response.statusCode ?? 0, headers: response.headers, text }),
      );
    });
    request.on("timeout", () => request.destroy(new Error(`${method} ${path}: no answer within 5 s`)));
    request.on("error", reject);
    request.end(body);
  });
}

/** Bytes written to a fresh connection, and everything the server answered until it closed (bounded: 5 s). */
function rawExchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let answer = "";
    const socket = net.connect(Number(port), hostname, () => socket.end(request));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no end of answer within 5 s: ${answer.slice(0, 200)}`));
    }, 5000);
    socket.on("data", (chunk: Buffer) => {
      answer += chunk.toString();
    });
    // The server may reset a connection it refused while the client was still writing; what arrived counts.
    socket.on("error", () => {});
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** Status and body of a raw HTTP/1.1 answer. */
function parseRaw(answer: string): { status: number; text: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0);
  return { status, text: answer.slice(answer.indexOf("\r\n\r\n") + 4) };
}

/** The error envelope with this status and code; returns its message. */
function expectEnvelope(response: { status: number; text: string }, status: number, code: string): string {
  expect(response.status, response.text).toBe(status);
  const body = ErrorSchema.parse(JSON.parse(response.text));
  expect(body.error.code).toBe(code);
  return body.error.message;
}

describe.each(TARGETS)("browser safety on %s", (target) => {
  const skip = target === "bun" && !BUN_OK;
  let api: TestServer;
  let behindProxy: TestServer;
  let ownOrigin: string;

  beforeAll(async () => {
    if (skip) return;
    [api, behindProxy] = await Promise.all([
      startServer({}, { target }),
      startServer({ ROUTILUX_ALLOWED_HOSTS: "app.example" }, { target }),
    ]);
    ownOrigin = api.url;
  });
  afterAll(async () => {
    await Promise.all([api?.close(), behindProxy?.close()]);
  });

  /** A job that stays active until told otherwise. */
  const heldJob = async (server: TestServer) => {
    const job = await server.startJob("linear_flow", { data: "x", count: 1 }, { pause_on_start: true });
    await server.waitForStatus(job.job_id, "paused");
    return job.job_id;
  };

  describe.skipIf(skip)("Host check (DNS rebinding)", () => {
    test("a foreign Host gets 403 FORBIDDEN naming the host and ROUTILUX_ALLOWED_HOSTS", async () => {
      const response = await raw(api.url, "GET", "/api/jobs", { host: "evil.example:20555" });
      const message = expectEnvelope(response, 403, "FORBIDDEN");
      expect(message).toContain("evil.example");
      expect(message).toContain("ROUTILUX_ALLOWED_HOSTS");
      await expectHealthy(api);
    });

    test("the loopback names pass, whatever the port", async () => {
      for (const host of ["localhost:1234", "127.0.0.1:9", "[::1]:20555", "localhost"]) {
        expect((await raw(api.url, "GET", "/api/health", { host })).status, host).toBe(200);
      }
    });

    test("a host listed in ROUTILUX_ALLOWED_HOSTS passes; the loopback names still do", async () => {
      expect((await raw(behindProxy.url, "GET", "/api/health", { host: "app.example" })).status).toBe(200);
      expect((await raw(behindProxy.url, "GET", "/api/health", { host: "app.example:443" })).status).toBe(
        200,
      );
      expect((await raw(behindProxy.url, "GET", "/api/health", { host: "localhost:1" })).status).toBe(200);
      const other = await raw(behindProxy.url, "GET", "/api/health", { host: "evil.example" });
      expectEnvelope(other, 403, "FORBIDDEN");
    });
  });

  describe.skipIf(skip)("Origin check (CSRF, cross-site WebSockets)", () => {
    test("a cross-site text/plain POST …/cancel gets 403 and the job is not cancelled", async () => {
      const job_id = await heldJob(api);
      const response = await api.request("POST", `/api/jobs/${job_id}/cancel`, "{}", {
        origin: EVIL,
        "content-type": "text/plain",
      });
      expect(expectEnvelope(response, 403, "FORBIDDEN")).toContain(EVIL);
      expect((await api.request<{ status: string }>("GET", `/api/jobs/${job_id}`)).body.status).toBe(
        "paused",
      );
      await expectHealthy(api);
    });

    test("a cross-site preflight gets 403 and no Allow headers", async () => {
      const response = await api.request("OPTIONS", "/api/jobs", undefined, {
        origin: EVIL,
        "access-control-request-method": "POST",
      });
      expectEnvelope(response, 403, "FORBIDDEN");
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("access-control-allow-methods")).toBeNull();
    });

    test("a cross-site GET gets 403 too", async () => {
      expectEnvelope(await api.request("GET", "/api/jobs", undefined, { origin: EVIL }), 403, "FORBIDDEN");
      expectEnvelope(await api.request("GET", "/api/jobs", undefined, { origin: "null" }), 403, "FORBIDDEN");
    });

    test("a cross-site WebSocket upgrade gets the 403 envelope and no 101", async () => {
      const job_id = await heldJob(api);
      const wsUrl = api.url.replace(/^http/, "ws");
      for (const path of [`/api/ws/jobs/${job_id}/monitor`, "/ws"]) {
        const refused = await refusedUpgrade(`${wsUrl}${path}`, { origin: EVIL });
        expectEnvelope({ status: refused.status, text: refused.body }, 403, "FORBIDDEN");
        expect(refused.contentType).toContain("application/json");
      }
      await expectHealthy(api);
    });

    test("a same-origin WebSocket upgrade opens", async () => {
      const job_id = await heldJob(api);
      const wsUrl = api.url.replace(/^http/, "ws");
      for (const path of [`/api/ws/jobs/${job_id}/monitor`, "/ws"]) {
        const socket = await openSocket(`${wsUrl}${path}`, { origin: ownOrigin });
        socket.ws.close();
      }
    });

    test("the server's own origin passes, and so do the default CORS origins", async () => {
      const job_id = await heldJob(api);
      const own = await api.request("POST", `/api/jobs/${job_id}/resume`, undefined, { origin: ownOrigin });
      expect(own.status, own.text).toBe(200);
      const ui = await api.request("GET", "/api/jobs", undefined, { origin: "http://localhost:3000" });
      expect(ui.status).toBe(200);
      expect(ui.headers.get("access-control-allow-origin")).toBe("http://localhost:3000");
      const preflight = await api.request("OPTIONS", "/api/jobs", undefined, {
        origin: "http://127.0.0.1:8000",
        "access-control-request-method": "POST",
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("http://127.0.0.1:8000");
    });

    test("Swagger UI keeps working: /docs, its assets and /openapi.json from the same origin", async () => {
      const page = await api.request("GET", "/docs");
      expect(page.status).toBe(200);
      expect(page.text).toContain('url: "/openapi.json"');
      const asset = await api.request("GET", "/docs/assets/swagger-ui-bundle.js", undefined, {
        origin: ownOrigin,
      });
      expect(asset.status).toBe(200);
      const doc = await api.request<{ openapi: string }>("GET", "/openapi.json", undefined, {
        origin: ownOrigin,
      });
      expect(doc.status).toBe(200);
      expect(doc.body.openapi).toBe("3.1.0");
    });

    test("the OpenAPI document lists the 403 on every operation and the 415 where a body is taken", async () => {
      type Operation = { requestBody?: unknown; responses: Record<string, { $ref?: string }> };
      const doc = (
        await api.request<{
          paths: Record<string, Record<string, Operation>>;
          components: { responses: Record<string, unknown> };
        }>("GET", "/openapi.json")
      ).body;
      expect(Object.keys(doc.components.responses)).toEqual(
        expect.arrayContaining(["Forbidden", "UnsupportedMediaType"]),
      );
      const start = doc.paths["/api/jobs"]!.post!;
      expect(start.responses["403"]?.$ref).toBe("#/components/responses/Forbidden");
      expect(start.responses["415"]?.$ref).toBe("#/components/responses/UnsupportedMediaType");
      const list = doc.paths["/api/jobs"]!.get!;
      expect(list.responses["403"]?.$ref).toBe("#/components/responses/Forbidden");
      expect(list.responses["415"]).toBeUndefined();
    });

    test("requests without Origin are not affected", async () => {
      expect((await api.request("GET", "/api/jobs")).status).toBe(200);
    });
  });

  describe.skipIf(skip)("bodies are JSON", () => {
    test("a text/plain body without Origin gets 415 UNSUPPORTED_MEDIA_TYPE and the job is not cancelled", async () => {
      const job_id = await heldJob(api);
      const response = await api.request("POST", `/api/jobs/${job_id}/cancel`, "{}", {
        "content-type": "text/plain",
      });
      expect(expectEnvelope(response, 415, "UNSUPPORTED_MEDIA_TYPE")).toContain("text/plain");
      expect((await api.request<{ status: string }>("GET", `/api/jobs/${job_id}`)).body.status).toBe(
        "paused",
      );
    });

    test("form encodings and a body with no Content-Type get 415; the job list is unchanged", async () => {
      const before = (await api.request<{ total: number }>("GET", "/api/jobs")).body.total;
      const body = '{"flow_id":"linear_flow","entry_routine_id":"source"}';
      for (const type of [
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/plain",
      ]) {
        const response = await api.request("POST", "/api/jobs", body, { "content-type": type });
        expectEnvelope(response, 415, "UNSUPPORTED_MEDIA_TYPE");
      }
      const untyped = await raw(api.url, "POST", "/api/jobs", {}, body);
      expectEnvelope(untyped, 415, "UNSUPPORTED_MEDIA_TYPE");
      expect((await api.request<{ total: number }>("GET", "/api/jobs")).body.total).toBe(before);
    });

    test("JSON media types with parameters, and +json types, are JSON", async () => {
      const body = JSON.stringify({
        flow_id: "linear_flow",
        entry_routine_id: "source",
        pause_on_start: true,
      });
      for (const type of [
        "application/json; charset=utf-8",
        "application/vnd.routilux+json",
        "Application/JSON",
      ]) {
        const response = await api.request("POST", "/api/jobs", body, { "content-type": type });
        expect(response.status, `${type}: ${response.text}`).toBe(201);
      }
    });

    test("an empty body is no body, whatever its Content-Type", async () => {
      const job_id = await heldJob(api);
      const response = await api.request("POST", `/api/jobs/${job_id}/resume`, "", {
        "content-type": "text/plain",
      });
      expect(response.status, response.text).toBe(200);
    });
  });

  describe.skipIf(skip)("URLs and headers past the limits", () => {
    test("a URL over 8 KiB gets the 414 URI_TOO_LONG envelope", async () => {
      const response = await api.request("GET", `/api/jobs?flow_id=${"a".repeat(9000)}`);
      expect(expectEnvelope(response, 414, "URI_TOO_LONG")).toContain("8192");
      expect((await api.request("GET", `/api/jobs?flow_id=${"a".repeat(100)}`)).status).toBe(200);
      await expectHealthy(api);
    });

    test("headers past the runtime's limit get 431 (the envelope where the runtime lets the server answer)", async () => {
      const answer = parseRaw(
        await rawExchange(
          api.url,
          `GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        ),
      );
      // Bun's parser answers 431 itself, with no body and no hook to change it.
      if (target === "bun") expect(answer.status).toBe(431);
      else expect(expectEnvelope(answer, 431, "HEADERS_TOO_LARGE")).toContain("16384");
      await expectHealthy(api);
    });

    test("a malformed header gets 400 (the envelope where the runtime lets the server answer)", async () => {
      const answer = parseRaw(
        await rawExchange(api.url, "GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n"),
      );
      expect(answer.status).toBe(400);
      if (target === "node") expectEnvelope(answer, 400, "VALIDATION_ERROR");
      await expectHealthy(api);
    });
  });
});
