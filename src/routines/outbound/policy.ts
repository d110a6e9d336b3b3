import { type Cidr, type IpBytes, inCidr, isNonPublic, parseCidr, parseIp } from "./ip-address.js";

/**
 * Which destinations an outbound request may connect to: every public address, and the non-public ones the
 * operator lists in `ROUTILUX_FETCH_ALLOW` (docs/configuration.md). Runtime-free: each runtime's connector asks
 * `mayConnect` about the address it is about to open a socket to.
 */

/** One `ROUTILUX_FETCH_ALLOW` entry: a host name or an address block, optionally for one port only. */
type AllowEntry =
  | { readonly kind: "host"; readonly host: string; readonly port?: number }
  | { readonly kind: "block"; readonly block: Cidr; readonly port?: number };

/** Where a request goes: the URL's host name (IPv6 without brackets, lower case) and its port. */
export interface Destination {
  readonly host: string;
  readonly port: number;
}

export interface OutboundPolicy {
  readonly allow: readonly AllowEntry[];
  /** Largest response body read, in bytes. */
  readonly maxBytes: number;
  /** Longest a request may take, redirects and body included. */
  readonly timeoutMs: number;
}

/** The configuration keys the policy is made of (`Config` has them). */
export interface OutboundSettings {
  readonly fetchAllow: readonly string[];
  readonly fetchMaxBytes: number;
  readonly fetchTimeoutMs: number;
}

/** What a refused destination fails with. An unreachable allowed-by-default target never gets this far. */
export class DestinationNotAllowedError extends Error {
  override name = "DestinationNotAllowedError";
  constructor(readonly host: string) {
    super(`destination not allowed: ${host}`);
  }
}

const HOST_NAME = /^(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*\.?$/;

function parsePort(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** `host`, `host:port`, `[v6]:port`, an address or a CIDR; null when the text is none of these. */
export function parseAllowEntry(input: string): AllowEntry | null {
  const text = input.trim().toLowerCase();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    const block = parseCidr(bracketed[1]!);
    const port = bracketed[2] === undefined ? undefined : parsePort(bracketed[2]);
    if (block?.bits !== 128 || (bracketed[2] !== undefined && port === undefined)) return null;
    return { kind: "block", block: block!, port };
  }
  if (text.includes("/") || text.split(":").length > 2) {
    const block = parseCidr(text);
    return block ? { kind: "block", block } : null;
  }
  const [host, portText] = text.split(":") as [string, string | undefined];
  const port = portText === undefined ? undefined : parsePort(portText);
  if (portText !== undefined && port === undefined) return null;
  const block = parseCidr(host);
  if (block) return { kind: "block", block, port };
  return HOST_NAME.test(host) ? { kind: "host", host: host.replace(/\.$/, ""), port } : null;
}

/** The allow-list of `entries`; throws naming the first entry that is not a host, `host:port` or CIDR. */
export function parseAllowList(entries: readonly string[]): AllowEntry[] {
  return entries.map((text) => {
    const entry = parseAllowEntry(text);
    if (!entry) throw new Error(`'${text}' is not a host, host:port or CIDR`);
    return entry;
  });
}

export function outboundPolicy(settings: OutboundSettings): OutboundPolicy {
  return {
    allow: parseAllowList(settings.fetchAllow),
    maxBytes: settings.fetchMaxBytes,
    timeoutMs: settings.fetchTimeoutMs,
  };
}

/** The defaults of docs/configuration.md: nothing private allowed, 10 MiB, 30 s. */
export const DEFAULT_OUTBOUND_POLICY: OutboundPolicy = Object.freeze({
  allow: [],
  maxBytes: 10 * 1024 * 1024,
  timeoutMs: 30_000,
});

export function destinationOf(url: URL): Destination {
  const host = url.hostname.replace(/^\[|\]$/g, "").replace(/\.$/, "");
  const port = url.port ? Number(url.port) : url.protocol === "https:" ? 443 : 80;
  return { host, port };
}

const portMatches = (entry: AllowEntry, port: number) => entry.port === undefined || entry.port === port;

/** True when the operator listed this destination: by its host name, or by the address it resolved to. */
function allowed(policy: OutboundPolicy, destination: Destination, address: IpBytes): boolean {
  return policy.allow.some((entry) =>
    !portMatches(entry, destination.port)
      ? false
      : entry.kind === "host"
        ? entry.host === destination.host
        : inCidr(address, entry.block),
  );
}

/**
 * May a socket to `address` be opened for `destination`? `address` is what is actually connected to (the
 * literal in the URL, or one the resolver returned); text that is not an address is refused.
 */
export function mayConnect(policy: OutboundPolicy, destination: Destination, address: string): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  return !isNonPublic(ip) || allowed(policy, destination, ip);
}

/** The host names that mean this machine whatever a resolver says (RFC 6761). */
export const isLocalhostName = (host: string): boolean => host === "localhost" || host.endsWith(".localhost");

/**
 * For a runtime whose connector cannot see resolved addresses: refuses an IP literal that is not public and the
 * `localhost` names, unless allowed. A name that resolves to a private address gets through; see web-connector.ts.
 */
export function mayRequestByName(policy: OutboundPolicy, destination: Destination): boolean {
  const literal = parseIp(destination.host);
  if (literal) return mayConnect(policy, destination, destination.host);
  if (!isLocalhostName(destination.host)) return true;
  return policy.allow.some(
    (entry) =>
      entry.kind === "host" && entry.host === destination.host && portMatches(entry, destination.port),
  );
}
