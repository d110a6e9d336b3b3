import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  AlreadyExistsError,
  AtCapacityError,
  FlowInvalidError,
  InvalidStateError,
  LimitExceededError,
  NotFoundError,
  type NotFoundKind,
} from "../core/errors.js";
import { InvalidJobQueryError } from "../service/job-cursor.js";
import type { AppEnv } from "./env.js";
import type { Logger } from "./logger.js";
import { unsupportedMediaType } from "./middleware/json-media-type.js";

/** The error codes of the contract (docs/api.md, "Errors"), defined once. */
export const ERROR_CODES = [
  "VALIDATION_ERROR",
  "FLOW_NOT_FOUND",
  "JOB_NOT_FOUND",
  "ROUTINE_NOT_FOUND",
  "BREAKPOINT_NOT_FOUND",
  "NOT_FOUND",
  "FLOW_ALREADY_EXISTS",
  "ROUTINE_ALREADY_EXISTS",
  "INVALID_STATE",
  "DSL_INVALID",
  "PAYLOAD_TOO_LARGE",
  "URI_TOO_LONG",
  "UNSUPPORTED_MEDIA_TYPE",
  "HEADERS_TOO_LARGE",
  "LIMIT_EXCEEDED",
  "UNAUTHORIZED",
  "FORBIDDEN",
  "RATE_LIMITED",
  "METHOD_NOT_ALLOWED",
  "INTERNAL_ERROR",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export type ErrorDetails = Record<string, unknown>;

/** One bad field of a request: `path` is `<where>.<field>` (`query.status`, `body.entry_params`, `path.job_id`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The body of every non-2xx response. */
export interface ErrorEnvelope {
  /** The message again, as a plain string, for clients written before `error` existed. */
  detail: string;
  error: { code: ErrorCode; message: string; details: ErrorDetails; request_id: string };
}

/** An error the API answers with as it is: the contract's code, the HTTP status and details for the client. */
export class ApiError extends Error {
  override name = "ApiError";
  constructor(
    readonly code: ErrorCode,
    readonly status: ContentfulStatusCode,
    message: string,
    readonly details: ErrorDetails = {},
    /** Headers the response must carry (`Allow` on a 405, `WWW-Authenticate` on a 401). */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export function validationError(errors: FieldError[]): ApiError {
  const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
  return new ApiError("VALIDATION_ERROR", 422, `Invalid request: ${summary}`, { errors });
}

const NOT_FOUND_CODES: Record<NotFoundKind, { code: ErrorCode; field: string }> = {
  flow: { code: "FLOW_NOT_FOUND", field: "flow_id" },
  job: { code: "JOB_NOT_FOUND", field: "job_id" },
  routine: { code: "ROUTINE_NOT_FOUND", field: "routine_id" },
  breakpoint: { code: "BREAKPOINT_NOT_FOUND", field: "breakpoint_id" },
  connection: { code: "NOT_FOUND", field: "connection_index" },
};

const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  413: "PAYLOAD_TOO_LARGE",
  414: "URI_TOO_LONG",
  415: "UNSUPPORTED_MEDIA_TYPE",
  422: "VALIDATION_ERROR",
  429: "RATE_LIMITED",
  431: "HEADERS_TOO_LARGE",
};

/**
 * The one place where errors of the layers below become contract errors. Returns null for anything unexpected,
 * which the caller answers with a generic 500.
 */
export async function toApiError(error: unknown, c: Context): Promise<ApiError | null> {
  if (error instanceof ApiError) return error;
  if (error instanceof NotFoundError) {
    const { code, field } = NOT_FOUND_CODES[error.kind];
    return new ApiError(code, 404, error.message, { [field]: error.id });
  }
  if (error instanceof AlreadyExistsError) {
    const code = error.kind === "flow" ? "FLOW_ALREADY_EXISTS" : "ROUTINE_ALREADY_EXISTS";
    return new ApiError(code, 409, error.message, { [`${error.kind}_id`]: error.id });
  }
  if (error instanceof InvalidStateError) return new ApiError("INVALID_STATE", 409, error.message);
  if (error instanceof LimitExceededError) {
    return new ApiError("LIMIT_EXCEEDED", 422, error.message, error.details);
  }
  if (error instanceof AtCapacityError) {
    return new ApiError("RATE_LIMITED", 429, error.message, error.details, {
      "Retry-After": String(error.retryAfterSeconds),
    });
  }
  if (error instanceof FlowInvalidError) {
    return new ApiError("DSL_INVALID", 400, error.message, { issues: error.issues });
  }
  if (error instanceof InvalidJobQueryError) {
    return validationError([{ path: `query.${error.field}`, message: error.message }]);
  }
  if (error instanceof HTTPException) return fromHttpException(error, c);
  return null;
}

/** Hono's own validators and middleware throw HTTPException; give them the contract's codes. */
async function fromHttpException(error: HTTPException, c: Context): Promise<ApiError> {
  // The JSON body validator is the only source of a 400: its body did not parse. Say where, as JSON.parse does.
  if (error.status === 400) {
    return validationError([{ path: "body", message: `Malformed JSON: ${await jsonParseError(c)}` }]);
  }
  // A body declared as JSON sent with another media type (middleware/body.ts refuses most of these first).
  if (error.status === 415) return unsupportedMediaType(c.req.header("content-type") ?? null);
  const code = HTTP_STATUS_CODES[error.status];
  if (code) return new ApiError(code, error.status as ContentfulStatusCode, error.message || code);
  return new ApiError("INTERNAL_ERROR", 500, "Internal server error");
}

async function jsonParseError(c: Context): Promise<string> {
  try {
    JSON.parse(await c.req.text());
    return "the body is not valid JSON";
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export function errorEnvelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    detail: error.message,
    error: { code: error.code, message: error.message, details: error.details, request_id: requestId },
  };
}

export function errorResponse(c: Context<AppEnv>, error: ApiError): Response {
  for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
  return c.json(errorEnvelope(error, c.get("requestId") ?? ""), error.status);
}

/**
 * `app.onError`: contract errors become the envelope; anything else is a bug, answered with a generic 500 (the
 * request id lets an operator find the one log line that carries the stack — the client never sees it).
 */
export function errorHandler(logger: Logger) {
  return async (error: unknown, c: Context<AppEnv>): Promise<Response> => {
    const known = await toApiError(error, c);
    if (known) return errorResponse(c, known);
    const requestId = c.get("requestId") ?? "";
    logger.error("unhandled error", {
      request_id: requestId,
      method: c.req.method,
      path: c.req.path,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
    return errorResponse(
      c,
      new ApiError("INTERNAL_ERROR", 500, `Internal server error (request id ${requestId})`, {}),
    );
  };
}
