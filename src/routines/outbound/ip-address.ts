/**
 * IP addresses as 16 bytes, IPv4 kept in its IPv4-mapped IPv6 form (`::ffff:a.b.c.d`), so one comparison
 * covers an IPv4 address, its mapped spelling and every range written for IPv4. Runtime-free: the outbound
 * policy classifies the literal in a URL and the addresses a resolver returns with the same code.
 */

export type IpBytes = Uint8Array;

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/** `a.b.c.d` with four decimal parts 0–255 (a URL has already normalised `0x7f.1` or `2130706433` to this). */
function parseIpv4(text: string): number[] | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes: number[] = [];
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return null;
    const n = Number(part);
    if (n > 255) return null;
    bytes.push(n);
  }
  return bytes;
}

function parseGroups(text: string): number[] | null {
  if (text === "") return [];
  const groups: number[] = [];
  for (const group of text.split(":")) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return null;
    groups.push(Number.parseInt(group, 16));
  }
  return groups;
}

/** IPv6 text: `::` compression, an embedded IPv4 tail (`::ffff:127.0.0.1`) and a zone (`fe80::1%eth0`). */
function parseIpv6(input: string): number[] | null {
  let text = input.replace(/%.*$/, "");
  const lastColon = text.lastIndexOf(":");
  if (text.includes(".", lastColon)) {
    const v4 = parseIpv4(text.slice(lastColon + 1));
    if (!v4) return null;
    const hex = (high: number, low: number) => ((high << 8) | low).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hex(v4[0]!, v4[1]!)}:${hex(v4[2]!, v4[3]!)}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0]!);
  const rest = halves.length === 2 ? parseGroups(halves[1]!) : [];
  if (!head || !rest) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...rest];
  return groups.flatMap((group) => [group >> 8, group & 0xff]);
}

/** The address a text names (`127.0.0.1`, `::1`, `[::1]`), or null when it is not an IP address (a host name). */
export function parseIp(text: string): IpBytes | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (bare.includes(":")) {
    const bytes = parseIpv6(bare);
    return bytes ? Uint8Array.from(bytes) : null;
  }
  const v4 = parseIpv4(bare);
  return v4 ? Uint8Array.from([...V4_MAPPED_PREFIX, ...v4]) : null;
}

/** A block of addresses: `10.0.0.0/8` or `fc00::/7`. An IPv4 prefix counts in the mapped space (+96). */
export interface Cidr {
  readonly base: IpBytes;
  readonly bits: number;
}

/** `10.0.0.0/8`, `fd00::/8`; a bare address is its own /32 or /128. Null when the text is not one. */
export function parseCidr(text: string): Cidr | null {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  const base = parseIp(addressText);
  if (!base) return null;
  const isV4 = !addressText.includes(":");
  const max = isV4 ? 32 : 128;
  let bits = max;
  if (slash !== -1) {
    const prefix = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max) return null;
    bits = Number(prefix);
  }
  return { base, bits: isV4 ? bits + 96 : bits };
}

export function inCidr(address: IpBytes, cidr: Cidr): boolean {
  const whole = cidr.bits >> 3;
  for (let i = 0; i < whole; i++) if (address[i] !== cidr.base[i]) return false;
  const rest = cidr.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole]! & mask) === (cidr.base[whole]! & mask);
}

const cidr = (text: string): Cidr => parseCidr(text)!;

/**
 * Destinations no outbound request reaches unless the operator allows them: the machine itself, its networks,
 * the cloud metadata service (169.254.169.254) and addresses that are not one host. IPv4 ranges match their
 * IPv4-mapped spellings too (see the top of this file).
 */
const NOT_PUBLIC: readonly Cidr[] = [
  "0.0.0.0/8", // "this network"; 0.0.0.0 reaches the local host
  "10.0.0.0/8", // RFC 1918
  "100.64.0.0/10", // carrier-grade NAT
  "127.0.0.0/8", // loopback
  "169.254.0.0/16", // link-local, cloud metadata
  "172.16.0.0/12", // RFC 1918
  "192.0.0.0/24", // IETF protocol assignments
  "192.168.0.0/16", // RFC 1918
  "198.18.0.0/15", // benchmarking networks, used inside data centres
  "224.0.0.0/4", // multicast
  "240.0.0.0/4", // reserved, broadcast
  "::/128", // unspecified
  "::1/128", // loopback
  "fc00::/7", // unique-local
  "fe80::/10", // link-local
  "fec0::/10", // site-local (deprecated, still routed by some networks)
  "ff00::/8", // multicast
].map(cidr);

/** IPv6 blocks that carry an IPv4 address in their last 32 bits; that address decides. */
const EMBEDS_IPV4: readonly Cidr[] = [
  "::/96", // IPv4-compatible (deprecated)
  "64:ff9b::/96", // NAT64
].map(cidr);

function embeddedIpv4(address: IpBytes): IpBytes | null {
  if (!EMBEDS_IPV4.some((block) => inCidr(address, block))) return null;
  return Uint8Array.from([...V4_MAPPED_PREFIX, ...address.subarray(12)]);
}

/** True for loopback, private, CGNAT, link-local, unique-local, unspecified, multicast and reserved addresses. */
export function isNonPublic(address: IpBytes): boolean {
  if (NOT_PUBLIC.some((block) => inCidr(address, block))) return true;
  const embedded = embeddedIpv4(address);
  // `::` and `::1` are in ::/96 but were matched above; what remains embeds an IPv4 address that decides.
  return embedded !== null && NOT_PUBLIC.some((block) => inCidr(embedded, block));
}
