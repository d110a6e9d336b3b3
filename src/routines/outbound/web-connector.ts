import type { Connector, Outbound } from "./outbound-fetch.js";
import {
  DEFAULT_OUTBOUND_POLICY,
  DestinationNotAllowedError,
  destinationOf,
  mayRequestByName,
  type OutboundPolicy,
} from "./policy.js";

/**
 * The connector of a runtime that offers only the Web `fetch` (Cloudflare Workers, or an embedder that injects
 * nothing). `fetch` resolves names itself and never tells the address, so the check is on the URL: an IP
 * literal that is not public, or a `localhost` name, is refused unless allowed. On Workers that is enough —
 * Cloudflare's `fetch` leaves from Cloudflare's network and cannot reach the machine's private network — and
 * Node and Bun inject a connector that checks the resolved address instead (entry/node-outbound.ts).
 */
export function webConnector(policy: OutboundPolicy): Connector {
  return async (hop) => {
    const destination = destinationOf(hop.url);
    if (!mayRequestByName(policy, destination)) throw new DestinationNotAllowedError(hop.url.hostname);
    const response = await fetch(hop.url, {
      method: hop.method,
      headers: hop.headers,
      body: hop.body,
      signal: hop.signal,
      // Redirects come back to outboundFetch, which checks every hop.
      redirect: "manual",
    });
    return { status: response.status, headers: response.headers, body: response.body };
  };
}

export function webOutbound(policy: OutboundPolicy = DEFAULT_OUTBOUND_POLICY): Outbound {
  return { policy, connect: webConnector(policy) };
}
