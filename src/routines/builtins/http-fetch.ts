import { z } from "zod";
import { defineRoutine, type RoutineContext, type RoutineType } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { assertHttpUrl, type Outbound, outboundFetch } from "../outbound/outbound-fetch.js";
import { webOutbound } from "../outbound/web-connector.js";
import { TemplateSchema } from "./template.js";

/**
 * The one built-in that reaches out of the job: an HTTP request under the server's outbound policy
 * (`ROUTILUX_FETCH_*`: private destinations refused, body and time capped, every redirect hop checked). Marked
 * as a side effect, so a dry-run stubs it (mocks its events) instead of calling the network.
 *
 * The runtime's connector comes from the registry the entry builds (`defaultRegistry({ outbound })`): Node and
 * Bun check the address each socket opens; `HttpFetch` as exported here, with no runtime to ask, uses `fetch`
 * and checks the URL only (outbound/web-connector.ts says why that is enough on Workers).
 */

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
const METHODS_WITH_BODY: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

const HttpFetchConfig = z.strictObject({
  /** A template: `https://api.example.com/users/{{user_id}}`. Only http and https. */
  url: TemplateSchema,
  method: z.enum(HTTP_METHODS).default("GET"),
  headers: z.record(z.string().min(1), z.string()).default({}),
  /** Lowers the server's `ROUTILUX_FETCH_TIMEOUT_MS` for this routine; never raises it. */
  timeout_ms: z.number().positive().max(300_000).optional(),
  /** What to send: the payload as JSON, or nothing. Default: the payload for POST, PUT and PATCH. */
  body: z.enum(["payload", "none"]).optional(),
  /** Lowers the server's `ROUTILUX_FETCH_MAX_BYTES`; a longer response is an error, not memory spent on it. */
  max_response_bytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .optional(),
  /** `emit`: failures leave as the `error` event. `fail`: they fail the delivery, so the error handler
   * (e.g. `retry`) applies. */
  on_error: z.enum(["emit", "fail"]).default("emit"),
});
type HttpFetchConfig = z.output<typeof HttpFetchConfig>;

function requestUrl(payload: JsonObject, config: HttpFetchConfig): URL {
  const url = new URL(config.url.render(payload, "error"));
  assertHttpUrl(url);
  return url;
}

/** JSON when the server says so (and it parses), otherwise the text. */
function bodyValue(text: string, contentType: string | null): unknown {
  if (contentType === null || !/[/+]json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

async function fetchResponse(
  outbound: Outbound,
  payload: JsonObject,
  ctx: RoutineContext<HttpFetchConfig>,
): Promise<JsonObject> {
  const { config } = ctx;
  const sendPayload =
    (config.body ?? (METHODS_WITH_BODY.has(config.method) ? "payload" : "none")) === "payload";
  const headers = new Headers(config.headers);
  if (sendPayload && !headers.has("content-type")) headers.set("content-type", "application/json");
  const response = await outboundFetch(outbound, {
    url: requestUrl(payload, config),
    method: config.method,
    headers,
    body: sendPayload ? JSON.stringify(payload) : undefined,
    // The job's signal stops the request when the job is cancelled.
    signal: ctx.signal,
    maxBytes: config.max_response_bytes,
    timeoutMs: config.timeout_ms,
  });
  return {
    status: response.status,
    ok: response.status >= 200 && response.status < 300,
    headers: Object.fromEntries(response.headers),
    body: bodyValue(new TextDecoder().decode(response.body), response.headers.get("content-type")),
  };
}

function failureMessage(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

/** `HttpFetch` over a runtime's outbound connector and the operator's policy. */
export function httpFetchRoutine(outbound: Outbound): RoutineType<HttpFetchConfig> {
  return defineRoutine({
    name: "HttpFetch",
    description:
      "Requests `url` (a template) with `method` and `headers`; emits `response` {status, ok, headers, body} for any HTTP status, or `error` {error, url} when no response arrives.",
    slots: ["input"],
    events: ["response", "error"],
    config: HttpFetchConfig,
    sideEffects: true,
    handlers: {
      async input(payload, ctx) {
        let response: JsonObject;
        try {
          response = await fetchResponse(outbound, payload, ctx);
        } catch (error) {
          // A cancelled job is not a failed request: there is no one left to tell.
          if (ctx.signal.aborted) throw error;
          const message = failureMessage(error);
          if (ctx.config.on_error === "fail") throw new Error(message, { cause: error });
          ctx.emit("error", { error: message, url: ctx.config.url.source });
          return;
        }
        ctx.emit("response", response);
      },
    },
  });
}

/** With the default policy and the Web `fetch`; entries register one over their own connector instead. */
export const HttpFetch = httpFetchRoutine(webOutbound());
