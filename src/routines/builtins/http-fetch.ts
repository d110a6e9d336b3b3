import { z } from "zod";
import { readAtMost } from "../../core/read-at-most.js";
import { defineRoutine, type RoutineContext } from "../../core/routine.js";
import type { JsonObject } from "../../core/types.js";
import { TemplateSchema } from "./template.js";

/**
 * The one built-in that reaches out of the job: an HTTP request with the global `fetch`. Marked as a side
 * effect, so a dry-run stubs it (mocks its events) instead of calling the network.
 */

export const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;
const METHODS_WITH_BODY: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

const HttpFetchConfig = z.strictObject({
  /** A template: `https://api.example.com/users/{{user_id}}`. Only http and https. */
  url: TemplateSchema,
  method: z.enum(HTTP_METHODS).default("GET"),
  headers: z.record(z.string().min(1), z.string()).default({}),
  timeout_ms: z.number().positive().max(300_000).default(10_000),
  /** What to send: the payload as JSON, or nothing. Default: the payload for POST, PUT and PATCH. */
  body: z.enum(["payload", "none"]).optional(),
  /** A longer response is an error rather than memory spent on it. */
  max_response_bytes: z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** `emit`: failures leave as the `error` event. `fail`: they fail the delivery, so the error handler
   * (e.g. `retry`) applies. */
  on_error: z.enum(["emit", "fail"]).default("emit"),
});
type HttpFetchConfig = z.output<typeof HttpFetchConfig>;

function requestUrl(payload: JsonObject, config: HttpFetchConfig): URL {
  const text = config.url.render(payload, "error");
  const url = new URL(text);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`only http and https URLs can be fetched, not '${url.protocol}'`);
  }
  return url;
}

function requestInit(payload: JsonObject, config: HttpFetchConfig, signal: AbortSignal): RequestInit {
  const sendPayload =
    (config.body ?? (METHODS_WITH_BODY.has(config.method) ? "payload" : "none")) === "payload";
  const headers = new Headers(config.headers);
  if (sendPayload && !headers.has("content-type")) headers.set("content-type", "application/json");
  return { method: config.method, headers, body: sendPayload ? JSON.stringify(payload) : undefined, signal };
}

/** Reads at most `limit` bytes; the stream is cancelled as soon as the body proves longer. */
async function readText(response: Response, limit: number): Promise<string> {
  if (response.body === null) return "";
  const bytes = await readAtMost(response.body, limit);
  if (bytes === null) throw new Error(`response body is larger than ${limit} bytes`);
  return new TextDecoder().decode(bytes);
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

async function fetchResponse(payload: JsonObject, ctx: RoutineContext<HttpFetchConfig>): Promise<JsonObject> {
  const { config } = ctx;
  const url = requestUrl(payload, config);
  // The job's signal stops the request when the job is cancelled; the timeout bounds this one request.
  const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(config.timeout_ms)]);
  const response = await fetch(url, requestInit(payload, config, signal));
  const text = await readText(response, config.max_response_bytes);
  return {
    status: response.status,
    ok: response.ok,
    headers: Object.fromEntries(response.headers),
    body: bodyValue(text, response.headers.get("content-type")),
  };
}

function failureMessage(error: unknown, config: HttpFetchConfig): string {
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return `request timed out after ${config.timeout_ms} ms`;
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return `${error instanceof Error ? error.message : String(error)}${cause}`;
}

export const HttpFetch = defineRoutine({
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
        response = await fetchResponse(payload, ctx);
      } catch (error) {
        // A cancelled job is not a failed request: there is no one left to tell.
        if (ctx.signal.aborted) throw error;
        const message = failureMessage(error, ctx.config);
        if (ctx.config.on_error === "fail") throw new Error(message, { cause: error });
        ctx.emit("error", { error: message, url: ctx.config.url.source });
        return;
      }
      ctx.emit("response", response);
    },
  },
});
