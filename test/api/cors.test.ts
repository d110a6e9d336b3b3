import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { corsFromConfig } from "../../src/api/middleware/cors.js";

/** Three ways a handler can answer: through the context, with its own Response, with immutable headers. */
function appWith(origins: string[]) {
  return new Hono()
    .use(corsFromConfig(origins))
    .get("/context", (c) => c.json({ ok: true }))
    .get("/own", () => new Response("own", { headers: { Vary: "Accept-Encoding" } }))
    .get("/immutable", () => Response.redirect("http://127.0.0.1/elsewhere", 302))
    .get("/boom", () => {
      throw new Error("boom");
    })
    .onError((_, c) => c.json({ error: "boom" }, 500));
}

const ALLOWED = "http://localhost:3000";

describe("CORS middleware", () => {
  for (const path of ["/context", "/own", "/immutable"]) {
    test(`${path}: an allowed origin gets Allow-Origin, Expose-Headers and Vary: Origin once`, async () => {
      const response = await appWith([ALLOWED]).request(path, { headers: { origin: ALLOWED } });
      expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(response.headers.get("access-control-expose-headers")).toBe("X-Request-Id");
      const vary = (response.headers.get("vary") ?? "").split(",").map((part) => part.trim());
      expect(vary.filter((part) => part === "Origin")).toHaveLength(1);
    });

    test(`${path}: a refused origin gets no Allow-Origin but still Vary: Origin`, async () => {
      const response = await appWith([ALLOWED]).request(path, {
        headers: { origin: "https://evil.example" },
      });
      expect(response.headers.get("access-control-allow-origin")).toBeNull();
      expect(response.headers.get("vary")).toContain("Origin");
    });
  }

  test("a handler's own Vary is kept", async () => {
    const response = await appWith([ALLOWED]).request("/own", { headers: { origin: ALLOWED } });
    expect(response.headers.get("vary")).toBe("Accept-Encoding, Origin");
  });

  test("`*` answers every origin with `*` and no Vary", async () => {
    const response = await appWith(["*"]).request("/context", { headers: { origin: "https://any.example" } });
    expect(response.headers.get("access-control-allow-origin")).toBe("*");
    expect(response.headers.get("vary")).toBeNull();
  });

  test("errors answered by onError keep the CORS headers", async () => {
    const response = await appWith([ALLOWED]).request("/boom", { headers: { origin: ALLOWED } });
    expect(response.status).toBe(500);
    expect(response.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  test("a preflight is answered before the route, allowed or not", async () => {
    const headers = { origin: ALLOWED, "access-control-request-method": "POST" };
    const allowed = await appWith([ALLOWED]).request("/context", { method: "OPTIONS", headers });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(allowed.headers.get("access-control-max-age")).toBe("600");
    expect(allowed.headers.get("access-control-allow-methods")).toContain("PATCH");
    const refused = await appWith([ALLOWED]).request("/context", {
      method: "OPTIONS",
      headers: { ...headers, origin: "https://evil.example" },
    });
    expect(refused.status).toBe(204);
    expect(refused.headers.get("access-control-allow-origin")).toBeNull();
  });
});
