import { describe, expect, test } from "vitest";
import { inCidr, isNonPublic, parseCidr, parseIp } from "../../../src/routines/outbound/ip-address.js";

const nonPublic = (text: string) => isNonPublic(parseIp(text)!);

describe("parseIp", () => {
  test("IPv4 is kept in its IPv4-mapped form, so both spellings are one address", () => {
    expect(parseIp("127.0.0.1")).toEqual(parseIp("::ffff:127.0.0.1"));
    expect(parseIp("127.0.0.1")).toEqual(parseIp("::ffff:7f00:1"));
    expect(parseIp("[::1]")).toEqual(parseIp("0:0:0:0:0:0:0:1"));
    expect(parseIp("fe80::1%eth0")).toEqual(parseIp("fe80::1"));
  });

  test.each([
    "localhost",
    "example.com",
    "1.2.3",
    "1.2.3.256",
    "01.2.3.4x",
    "::1::",
    "1:2:3:4:5:6:7:8:9",
    "12345::",
    "",
  ])("%j is not an address", (text) => expect(parseIp(text)).toBeNull());
});

describe("isNonPublic", () => {
  test.each([
    "127.0.0.1",
    "127.255.255.254",
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.255",
    "169.254.169.254",
    "0.0.0.0",
    "0.1.2.3",
    "224.0.0.1",
    "239.255.255.255",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "fe80::1",
    "febf::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.1.2.3",
    "::ffff:169.254.169.254",
    "::127.0.0.1",
    "64:ff9b::a9fe:a9fe",
  ])("%s is refused by default", (address) => expect(nonPublic(address)).toBe(true));

  test.each([
    "8.8.8.8",
    "1.1.1.1",
    "172.15.255.255",
    "172.32.0.0",
    "100.63.255.255",
    "100.128.0.0",
    "169.253.255.255",
    "223.255.255.255",
    "11.0.0.1",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",
    "64:ff9b::808:808",
    "fbff::1",
    "fe00::1",
  ])("%s is public", (address) => expect(nonPublic(address)).toBe(false));
});

describe("CIDR blocks", () => {
  test("edges of an IPv4 block, and its mapped spelling", () => {
    const block = parseCidr("10.1.0.0/16")!;
    expect(inCidr(parseIp("10.1.0.0")!, block)).toBe(true);
    expect(inCidr(parseIp("10.1.255.255")!, block)).toBe(true);
    expect(inCidr(parseIp("10.2.0.0")!, block)).toBe(false);
    expect(inCidr(parseIp("10.0.255.255")!, block)).toBe(false);
    expect(inCidr(parseIp("::ffff:10.1.2.3")!, block)).toBe(true);
  });

  test("a prefix that is not a whole byte", () => {
    const block = parseCidr("172.16.0.0/12")!;
    expect(inCidr(parseIp("172.31.255.255")!, block)).toBe(true);
    expect(inCidr(parseIp("172.32.0.0")!, block)).toBe(false);
  });

  test("IPv6 blocks, /0 and a bare address", () => {
    expect(inCidr(parseIp("fd00::5")!, parseCidr("fd00::/8")!)).toBe(true);
    expect(inCidr(parseIp("fe00::5")!, parseCidr("fd00::/8")!)).toBe(false);
    expect(inCidr(parseIp("8.8.8.8")!, parseCidr("0.0.0.0/0")!)).toBe(true);
    expect(inCidr(parseIp("10.0.0.2")!, parseCidr("10.0.0.1")!)).toBe(false);
  });

  test.each(["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0/8", "host/8", "10.0.0.0/-1"])(
    "%j is not a block",
    (text) => expect(parseCidr(text)).toBeNull(),
  );
});
