import { type LookupAddress, lookup as resolve } from "node:dns";
import http from "node:http";
import https from "node:https";
import { isIP, type LookupFunction } from "node:net";
import { Readable } from "node:stream";
import type { Connector, Outbound } from "../routines/outbound/outbound-fetch.js";
import {
  DestinationNotAllowedError,
  type OutboundSettings,
  outboundPolicy,
} from "../routines/outbound/policy.js";

/**
 * The Node and Bun connector: node:http/https with a `lookup` of our own, so the address checked is the address
 * the socket opens — the resolver is asked once, every address it returns is checked, and only admitted ones
 * reach the socket (no second resolution a rebinding DNS server could answer differently). An IP literal skips
 * `lookup` in both runtimes, so it is checked before the request. Bun honours `lookup` for http and https alike
 * (probed with Bun 1.4).
 */
export const nodeConnector: Connector = (hop) =>
  new Promise((resolveHop, reject) => {
    const refusal = new DestinationNotAllowedError(hop.url.hostname);
    const literal = hop.url.hostname.replace(/^\[|\]$/g, "");
    if (isIP(literal) !== 0 && !hop.admits(literal)) {
      reject(refusal);
      return;
    }
    let refused = false;
    const lookup: LookupFunction = (hostname, options, callback) => {
      resolve(hostname, { family: options.family, hints: options.hints, all: true }, (error, found) => {
        if (error) return callback(error, "");
        const admitted = (found as LookupAddress[]).filter((entry) => hop.admits(entry.address));
        if (admitted.length === 0) {
          refused = true;
          return callback(refusal, "");
        }
        if (options.all) return callback(null, admitted);
        callback(null, admitted[0]!.address, admitted[0]!.family);
      });
    };
    const transport = hop.url.protocol === "https:" ? https : http;
    const request = transport.request(hop.url, {
      method: hop.method,
      headers: Object.fromEntries(hop.headers),
      lookup,
      // A fresh connection per request: a pooled socket was checked for another request's destination.
      agent: false,
      signal: hop.signal,
    });
    request.on("error", (error) => reject(refused ? refusal : error));
    request.on("response", (response) => {
      const headers = new Headers();
      for (let i = 0; i + 1 < response.rawHeaders.length; i += 2) {
        headers.append(response.rawHeaders[i]!, response.rawHeaders[i + 1]!);
      }
      resolveHop({
        status: response.statusCode ?? 0,
        headers,
        body: Readable.toWeb(response) as ReadableStream<Uint8Array>,
      });
    });
    request.end(hop.body);
  });

/** The policy from `ROUTILUX_FETCH_*` with the connector that checks resolved addresses. */
export function nodeOutbound(settings: OutboundSettings): Outbound {
  return { policy: outboundPolicy(settings), connect: nodeConnector };
}
