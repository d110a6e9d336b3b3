import { readAtMost } from "../../core/read-at-most.js";
import {
  type Destination,
  DestinationNotAllowedError,
  destinationOf,
  mayConnect,
  type OutboundPolicy,
} from "./policy.js";

/**
 * An outbound HTTP request under the policy: each hop (the first request and every redirect) goes through the
 * runtime's connector, which checks the address it connects to; redirects are followed here, never by the
 * connector, so every hop is checked; the body is capped and the whole exchange is bounded in time.
 */

/** One request to one URL, as the connector sends it (it never follows a redirect). */
export interface Hop {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  readonly signal: AbortSignal;
  /**
   * Whether a socket to `address` may be opened for this hop. The connector asks for every address it would
   * connect to and connects only to one that is admitted; when none is, it throws `DestinationNotAllowedError`.
   */
  admits(address: string): boolean;
}

export interface HopResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: ReadableStream<Uint8Array> | null;
}

/** Sends one hop. Node and Bun: node:http with a checking `lookup`; elsewhere `fetch` (web-connector.ts). */
export type Connector = (hop: Hop) => Promise<HopResponse>;

/** What an outbound routine needs from its runtime: the operator's policy and a connector that obeys it. */
export interface Outbound {
  readonly policy: OutboundPolicy;
  readonly connect: Connector;
}

export interface OutboundRequest {
  readonly url: URL;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string | undefined;
  /** The job's signal: cancelling the job aborts the request. */
  readonly signal: AbortSignal;
  /** A routine may only lower the policy's caps. */
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

export interface OutboundResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
  /** The URL that answered, after redirects. */
  readonly url: URL;
}

export const MAX_REDIRECTS = 5;
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials for one origin; not sent on to another. */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];
const BODY_HEADERS = [
  "content-type",
  "content-length",
  "content-encoding",
  "content-language",
  "content-location",
];

export class OutboundTimeoutError extends Error {
  override name = "OutboundTimeoutError";
  constructor(readonly timeoutMs: number) {
    super(`request timed out after ${timeoutMs} ms`);
  }
}

const lower = (limit: number, wanted: number | undefined) =>
  wanted === undefined ? limit : Math.min(limit, wanted);

export function assertHttpUrl(url: URL): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`only http and https URLs can be fetched, not '${url.protocol}'`);
  }
}

/** What the next hop of a redirect sends: as browsers do (fetch's "HTTP-redirect fetch"), more cautious. */
function redirected(hop: Omit<Hop, "admits" | "signal">, status: number, location: URL) {
  const headers = new Headers(hop.headers);
  let { method, body } = hop;
  if (
    (status === 303 && method !== "GET" && method !== "HEAD") ||
    ((status === 301 || status === 302) && method === "POST")
  ) {
    method = "GET";
    body = undefined;
    for (const name of BODY_HEADERS) headers.delete(name);
  }
  if (location.origin !== hop.url.origin) {
    // Neither the credentials nor the payload meant for one origin go to another.
    for (const name of CREDENTIAL_HEADERS) headers.delete(name);
    body = undefined;
    for (const name of BODY_HEADERS) headers.delete(name);
  }
  return { url: location, method, headers, body };
}

/** Sends `request`, following at most `MAX_REDIRECTS` redirects, each hop checked by the policy. */
export async function outboundFetch(outbound: Outbound, request: OutboundRequest): Promise<OutboundResponse> {
  const { policy, connect } = outbound;
  const maxBytes = lower(policy.maxBytes, request.maxBytes);
  const timeoutMs = lower(policy.timeoutMs, request.timeoutMs);
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  try {
    let hop: Omit<Hop, "admits" | "signal"> = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: request.body,
    };
    for (let redirects = 0; ; redirects++) {
      assertHttpUrl(hop.url);
      const destination: Destination = destinationOf(hop.url);
      const admits = (address: string) => mayConnect(policy, destination, address);
      const response = await connect({ ...hop, signal, admits });
      const location = response.headers.get("location");
      if (!REDIRECTS.has(response.status) || location === null) {
        const body = await readBody(response, maxBytes);
        return { status: response.status, headers: response.headers, body, url: hop.url };
      }
      await response.body?.cancel().catch(() => {});
      if (redirects === MAX_REDIRECTS) throw new Error(`more than ${MAX_REDIRECTS} redirects`);
      hop = redirected(hop, response.status, new URL(location, hop.url));
    }
  } catch (error) {
    if (error instanceof DestinationNotAllowedError) throw error;
    // The timer's abort surfaces as whatever the connector or the body stream threw; say what it was.
    if (timeout.aborted && !request.signal.aborted) throw new OutboundTimeoutError(timeoutMs);
    throw error;
  }
}

async function readBody(response: HopResponse, maxBytes: number): Promise<Uint8Array> {
  if (response.body === null) return new Uint8Array();
  const bytes = await readAtMost(response.body, maxBytes);
  if (bytes === null) throw new Error(`response body is larger than ${maxBytes} bytes`);
  return bytes;
}
