import { lookup } from "node:dns/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { hostname } from "node:os";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { bunAvailable, startServer, type Target, type TestServer } from "../support/server.js";
import { expectHealthy, guardPrototype } from "./support.js";

/**
 * Outbound requests cannot reach the private network: a flow created through the API fetches a URL given as entry
 * params, the way an attacker would point it at the machine's own services. Local HTTP servers count the requests
 * that reach them.
 */

guardPrototype();

/** A local server that counts requests; `/redirect` sends the client to `redirectTo`. */
interface Local {
  port: number;
  hits: string[];
  redirectTo: string;
  close(): Promise<void>;
}

async function listen(server: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

async function localServer(): Promise<Local> {
  const local: Local = { port: 0, hits: [], redirectTo: "", close: async () => {} };
  const handler = createServer((req, res) => {
    local.hits.push(req.url ?? "");
    if (req.url === "/redirect") {
      res.writeHead(302, { location: local.redirectTo });
      res.end();
    } else if (req.url === "/loop") {
      res.writeHead(302, { location: "/loop" });
      res.end();
    } else if (req.url === "/big") {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("x".repeat(10_000));
    } else if (req.url === "/slow") {
      setTimeout(() => res.end("late"), 5_000).unref();
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ secret: "admin-data" }));
    }
  });
  const v6 = createServer(handler.listeners("request")[0] as Parameters<typeof createServer>[0]);
  local.port = await listen(handler, "127.0.0.1");
  // The same port on ::1 too, so `http://[::1]:<port>/` would reach this server if it were not refused.
  const onV6 = await listen(v6, "::1", local.port).then(
    () => true,
    () => false,
  );
  local.close = async () => {
    for (const server of onV6 ? [handler, v6] : [handler]) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  };
  return local;
}

const FETCH_FLOW = (flow_id: string) => ({
  flow_id,
  routines: {
    source: { class: "Start" },
    fetch: { class: "HttpFetch", config: { url: "{{target}}", on_error: "fail" } },
    sink: { class: "Sink", config: { key: "responses" } },
  },
  connections: [
    { from: "source.output", to: "fetch.input" },
    { from: "fetch.response", to: "sink.input" },
  ],
});

/** Creates the flow through the API, fetches `target` in a job, and returns the finished job. */
async function fetchThrough(api: TestServer, target: string) {
  const created = await api.request("POST", "/api/flows", { dsl: JSON.stringify(FETCH_FLOW("ssrf_probe")) });
  expect([200, 201, 409]).toContain(created.status);
  const job = await api.startJob("ssrf_probe", { target });
  return api.waitForStatus(job.job_id, ["completed", "failed"], 15_000);
}

const refusal = (host: string) => `Routine 'fetch' failed: destination not allowed: ${host}`;

let local: Local;
let other: Local;
let closedPort: number;

beforeAll(async () => {
  local = await localServer();
  other = await localServer();
  // A port that was just free: nothing listens there now.
  const probe = createServer();
  closedPort = await listen(probe, "127.0.0.1");
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  await local?.close();
  await other?.close();
});

/** This machine's name, when the system resolver maps it to loopback only (as /etc/hosts often does). */
const ownLoopbackName = await lookup(hostname(), { all: true }).then(
  (found) =>
    found.every((a) => a.address.startsWith("127.") || a.address === "::1") ? hostname() : undefined,
  () => undefined,
);

const targets: Target[] = bunAvailable() ? ["node", "bun"] : ["node"];

describe.each(targets)("on %s", (target) => {
  describe("with the default policy", () => {
    let api: TestServer;
    beforeAll(async () => {
      api = await startServer({}, { target });
    }, 30_000);
    afterAll(() => api?.close());

    test.each([
      ["loopback", () => `http://127.0.0.1:${local.port}/admin`, "127.0.0.1"],
      ["localhost", () => `http://localhost:${local.port}/`, "localhost"],
      ["IPv6 loopback", () => `http://[::1]:${local.port}/`, "[::1]"],
      ["unspecified", () => `http://0.0.0.0:${local.port}/`, "0.0.0.0"],
      ["IPv4-mapped IPv6", () => `http://[::ffff:127.0.0.1]:${local.port}/`, "[::ffff:7f00:1]"],
      ["a closed port", () => `http://127.0.0.1:${closedPort}/`, "127.0.0.1"],
      ["cloud metadata", () => "http://169.254.169.254/latest/meta-data/", "169.254.169.254"],
    ])("refuses %s with one message, and nothing reaches it", async (_name, url, host) => {
      const before = local.hits.length;
      const job = await fetchThrough(api, url());
      expect(job.status).toBe("failed");
      expect(job.error).toBe(refusal(host));
      expect(local.hits.length).toBe(before);
      await expectHealthy(api);
    });

    // `localhost` above is one such name; this machine's own name is another where the system resolver says so.
    test.skipIf(ownLoopbackName === undefined)(
      "a host name the system resolves to loopback is refused when connecting",
      async () => {
        const before = local.hits.length;
        const job = await fetchThrough(api, `http://${ownLoopbackName}:${local.port}/`);
        expect(job.error).toBe(refusal(ownLoopbackName!.toLowerCase()));
        expect(local.hits.length).toBe(before);
      },
    );
  });

  describe("with ROUTILUX_FETCH_ALLOW naming one local server", () => {
    let api: TestServer;
    beforeAll(async () => {
      api = await startServer(
        {
          ROUTILUX_FETCH_ALLOW: `127.0.0.1:${local.port}`,
          ROUTILUX_FETCH_MAX_BYTES: "4096",
          ROUTILUX_FETCH_TIMEOUT_MS: "500",
        },
        { target },
      );
    }, 30_000);
    afterAll(() => api?.close());

    test("an allowed destination is fetched end to end", async () => {
      const job = await fetchThrough(api, `http://127.0.0.1:${local.port}/admin`);
      expect(job.status).toBe("completed");
      const state = await api.request<{ shared_data: { responses: unknown[] } }>(
        "GET",
        `/api/jobs/${job.job_id}/state`,
      );
      expect(state.body.shared_data.responses).toEqual([
        expect.objectContaining({ status: 200, body: { secret: "admin-data" } }),
      ]);
    });

    test("a redirect to a destination not allowed is refused at the hop", async () => {
      local.redirectTo = `http://localhost:${other.port}/`;
      const before = other.hits.length;
      const job = await fetchThrough(api, `http://127.0.0.1:${local.port}/redirect`);
      expect(job.error).toBe(refusal("localhost"));
      expect(other.hits.length).toBe(before);
    });

    test("at most 5 redirects are followed", async () => {
      const before = local.hits.length;
      const job = await fetchThrough(api, `http://127.0.0.1:${local.port}/loop`);
      expect(job.error).toBe("Routine 'fetch' failed: more than 5 redirects");
      expect(local.hits.length - before).toBe(6);
    });

    test("a body over ROUTILUX_FETCH_MAX_BYTES is refused", async () => {
      const job = await fetchThrough(api, `http://127.0.0.1:${local.port}/big`);
      expect(job.error).toBe("Routine 'fetch' failed: response body is larger than 4096 bytes");
    });

    test("a request longer than ROUTILUX_FETCH_TIMEOUT_MS times out", async () => {
      const job = await fetchThrough(api, `http://127.0.0.1:${local.port}/slow`);
      expect(job.error).toBe("Routine 'fetch' failed: request timed out after 500 ms");
      await expectHealthy(api);
    });

    test("another port of the same address stays refused", async () => {
      const before = other.hits.length;
      const job = await fetchThrough(api, `http://127.0.0.1:${other.port}/`);
      expect(job.error).toBe(refusal("127.0.0.1"));
      expect(other.hits.length).toBe(before);
    });
  });
});
