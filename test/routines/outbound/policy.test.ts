import { describe, expect, test } from "vitest";
import {
  DEFAULT_OUTBOUND_POLICY,
  destinationOf,
  mayConnect,
  mayRequestByName,
  outboundPolicy,
  parseAllowEntry,
} from "../../../src/routines/outbound/policy.js";

const policy = (...fetchAllow: string[]) =>
  outboundPolicy({ fetchAllow, fetchMaxBytes: 1024, fetchTimeoutMs: 1000 });
const at = (url: string) => destinationOf(new URL(url));

describe("ROUTILUX_FETCH_ALLOW entries", () => {
  test.each([
    ["internal.example", { kind: "host", host: "internal.example" }],
    ["Internal.Example:8080", { kind: "host", host: "internal.example", port: 8080 }],
    ["localhost", { kind: "host", host: "localhost" }],
    ["127.0.0.1:8080", { kind: "block", port: 8080 }],
    ["[::1]:8080", { kind: "block", port: 8080 }],
    ["[::1]", { kind: "block" }],
    ["::1", { kind: "block" }],
    ["10.0.0.0/8", { kind: "block" }],
    ["fd00::/8", { kind: "block" }],
  ])("%s is an entry", (text, expected) => expect(parseAllowEntry(text)).toMatchObject(expected));

  test.each([
    "host:0",
    "host:65536",
    "host:port",
    "10.0.0.0/8:80",
    "[::1]:x",
    "[fd00::/8]",
    "bad host",
    "-x.example",
    "a..b",
    "",
  ])("%j is refused", (text) => expect(parseAllowEntry(text)).toBeNull());
});

describe("mayConnect: the address a socket opens", () => {
  test("public addresses are allowed, private ones refused by default", () => {
    expect(mayConnect(DEFAULT_OUTBOUND_POLICY, at("http://example.com/"), "93.184.215.14")).toBe(true);
    expect(mayConnect(DEFAULT_OUTBOUND_POLICY, at("http://example.com/"), "10.0.0.1")).toBe(false);
    expect(mayConnect(DEFAULT_OUTBOUND_POLICY, at("http://example.com/"), "::ffff:127.0.0.1")).toBe(false);
    expect(mayConnect(DEFAULT_OUTBOUND_POLICY, at("http://example.com/"), "not an address")).toBe(false);
  });

  test("a CIDR entry allows its addresses, whatever the name", () => {
    const p = policy("10.0.0.0/8");
    expect(mayConnect(p, at("http://db.internal/"), "10.9.9.9")).toBe(true);
    expect(mayConnect(p, at("http://db.internal/"), "::ffff:10.9.9.9")).toBe(true);
    expect(mayConnect(p, at("http://db.internal/"), "11.0.0.0")).toBe(true); // public anyway
    expect(mayConnect(p, at("http://db.internal/"), "192.168.0.1")).toBe(false);
  });

  test("host:port allows that port only; the default port counts", () => {
    const p = policy("127.0.0.1:8080", "intranet:443");
    expect(mayConnect(p, at("http://127.0.0.1:8080/"), "127.0.0.1")).toBe(true);
    expect(mayConnect(p, at("http://localhost:8080/"), "127.0.0.1")).toBe(true);
    expect(mayConnect(p, at("http://127.0.0.1:8081/"), "127.0.0.1")).toBe(false);
    expect(mayConnect(p, at("https://intranet/"), "10.0.0.5")).toBe(true);
    expect(mayConnect(p, at("http://intranet/"), "10.0.0.5")).toBe(false);
  });

  test("a host entry allows that name, not another name resolving to the same address", () => {
    const p = policy("intranet");
    expect(mayConnect(p, at("http://INTRANET./x"), "10.0.0.5")).toBe(true);
    expect(mayConnect(p, at("http://other/"), "10.0.0.5")).toBe(false);
  });

  test("an IPv6 entry", () => {
    const p = policy("[::1]:9000");
    expect(mayConnect(p, at("http://[::1]:9000/"), "::1")).toBe(true);
    expect(mayConnect(p, at("http://[::1]:9001/"), "::1")).toBe(false);
  });
});

describe("mayRequestByName: where no resolved address is seen", () => {
  test("private literals and localhost names are refused; other names pass", () => {
    expect(mayRequestByName(DEFAULT_OUTBOUND_POLICY, at("http://127.0.0.1/"))).toBe(false);
    expect(mayRequestByName(DEFAULT_OUTBOUND_POLICY, at("http://[::ffff:a9fe:a9fe]/"))).toBe(false);
    expect(mayRequestByName(DEFAULT_OUTBOUND_POLICY, at("http://localhost/"))).toBe(false);
    expect(mayRequestByName(DEFAULT_OUTBOUND_POLICY, at("http://api.localhost/"))).toBe(false);
    expect(mayRequestByName(DEFAULT_OUTBOUND_POLICY, at("http://example.com/"))).toBe(true);
    expect(mayRequestByName(policy("localhost:3000"), at("http://localhost:3000/"))).toBe(true);
  });
});
