import { Hono } from "hono";
import { describe, expect, test } from "vitest";
import { ApiError } from "../../src/api/errors.js";
import { hostCheck, isLoopbackAddress } from "../../src/api/middleware/host-check.js";
import { isJsonMediaType } from "../../src/api/middleware/json-media-type.js";
import { originCheck } from "../../src/api/middleware/origin-check.js";

/** The checks alone, each refusal answered with its status, as the app's onError would. */
function appWith(...middleware: Parameters<Hono["use"]>[1][]) {
  const app = new Hono();
  for (const m of middleware) app.use(m);
  return app
    .all("/", (c) => c.text("ok"))
    .onError((error, c) => c.text(error.message, error instanceof ApiError ? error.status : 500));
}

const statusFor = async (app: Hono, headers: Record<string, string>, url = "http://127.0.0.1/") =>
  (await app.request(url, { headers })).status;

describe("Host check", () => {
  test("listening on loopback: only the loopback names and the listening address", async () => {
    const app = appWith(hostCheck({ listenHost: "127.0.0.2", allowedHosts: undefined }));
    for (const host of ["localhost", "LOCALHOST:80", "127.0.0.1:1", "[::1]:2", "127.0.0.2:3", "localhost."]) {
      expect(await statusFor(app, { host }), host).toBe(200);
    }
    for (const host of ["evil.example", "127.0.0.1.evil.example", "localhost.evil.example", "[::2]"]) {
      expect(await statusFor(app, { host }), host).toBe(403);
    }
  });

  test("listening elsewhere, or with no address (Workers): no check until ROUTILUX_ALLOWED_HOSTS is set", async () => {
    for (const listenHost of ["0.0.0.0", "::", "10.0.0.5", null]) {
      const open = appWith(hostCheck({ listenHost, allowedHosts: undefined }));
      expect(await statusFor(open, { host: "example.com" })).toBe(200);
      const set = appWith(hostCheck({ listenHost, allowedHosts: ["api.example.com:443"] }));
      expect(await statusFor(set, { host: "api.example.com" })).toBe(200);
      expect(await statusFor(set, { host: "example.com" })).toBe(403);
    }
  });

  test("`*` turns the check off", async () => {
    const app = appWith(hostCheck({ listenHost: "127.0.0.1", allowedHosts: ["*"] }));
    expect(await statusFor(app, { host: "anything.example" })).toBe(200);
  });

  test("loopback addresses", () => {
    for (const address of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "::ffff:127.0.0.1"]) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of ["0.0.0.0", "::", "10.0.0.1", "128.0.0.1", "localhost.example"]) {
      expect(isLoopbackAddress(address), address).toBe(false);
    }
  });
});

describe("Origin check", () => {
  const app = appWith(originCheck(["http://localhost:3000"]));

  test("the request's own origin, and listed ones, pass; others and `null` are refused", async () => {
    expect(await statusFor(app, { origin: "http://127.0.0.1" })).toBe(200);
    expect(await statusFor(app, { origin: "http://localhost:3000" })).toBe(200);
    expect(await statusFor(app, {})).toBe(200);
    for (const origin of ["http://127.0.0.1:1", "https://127.0.0.1", "https://evil.example", "null"]) {
      expect(await statusFor(app, { origin }), origin).toBe(403);
    }
  });

  test("behind a TLS-terminating proxy, X-Forwarded-Proto gives the scheme", async () => {
    const headers = { host: "app.example", origin: "https://app.example" };
    expect(await statusFor(app, headers, "http://app.example/")).toBe(403);
    expect(await statusFor(app, { ...headers, "x-forwarded-proto": "https" }, "http://app.example/")).toBe(
      200,
    );
  });

  test("`*` allows every origin", async () => {
    expect(await statusFor(appWith(originCheck(["*"])), { origin: "https://evil.example" })).toBe(200);
  });
});

test("JSON media types: application/json and …+json, parameters allowed, case ignored", () => {
  for (const type of ["application/json", "Application/JSON; charset=utf-8", "application/problem+json"]) {
    expect(isJsonMediaType(type), type).toBe(true);
  }
  for (const type of [
    null,
    "",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "json",
  ]) {
    expect(isJsonMediaType(type), String(type)).toBe(false);
  }
});
