import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors.js";

type RefIdArguments = Parameters<z.ZodType["openapi"]>;

/**
 * `schema.openapi(refId, metadata)` for schemas built outside the API layer (core/ and service/ use plain
 * "zod"). Zod copies its methods onto each schema as it is built, so a schema built before @hono/zod-openapi
 * extended zod — which depends only on import order — has no `.openapi`. Called from the prototype it always
 * works, and returns a fresh copy that has it.
 */
export function named<T extends z.ZodType>(schema: T, ...args: RefIdArguments): T {
  const openapi = z.ZodType.prototype.openapi as (this: T, ...args: RefIdArguments) => T;
  return openapi.call(schema, ...args);
}

/** Ids of flows, routines, jobs and breakpoints (docs/api.md, "Basics"). */
export const ID_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;

export const Id = z.string().regex(ID_PATTERN, { message: "must match ^[A-Za-z0-9_.:-]{1,128}$" });

export const pathId = (name: string, example: string) =>
  Id.openapi({ param: { name, in: "path" }, example, description: `The ${name.replace("_id", "")} id` });

export const FlowIdParams = z.object({ flow_id: pathId("flow_id", "linear_flow") });
export const JobIdParams = z.object({ job_id: pathId("job_id", "0b6f6a3e-8d9c-4b8e-9a51-2f0e5c1d7a42") });

/**
 * An integer from a URL (query or path), between `min` and `max`. `z.coerce` because URLs carry strings; the
 * OpenAPI type is stated because the generator probes coerce schemas with null (`Number(null)` is 0) and would
 * otherwise call any parameter that accepts 0 nullable.
 */
export const urlInteger = (min: number, max?: number) => {
  const base = z.coerce.number().int().min(min);
  return (max === undefined ? base : base.max(max)).openapi({ type: "integer", minimum: min, maximum: max });
};

/** `urlInteger` that is `fallback` when absent (stated in the document too, which the explicit type would hide). */
export const urlIntegerOr = (fallback: number, min: number, max?: number) =>
  urlInteger(min, max).default(fallback).openapi({ default: fallback });

/** An ISO-8601 instant with a zone (`2026-01-15T08:30:00.123Z`, `2026-01-15T09:30:00+01:00`). */
export const IsoInstant = z.iso.datetime({
  offset: true,
  message: "must be an ISO-8601 date-time with a zone",
});

export const ErrorSchema = z
  .object({
    detail: z.string().openapi({ description: "The message again, for clients older than `error`" }),
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ description: "Stable, machine-readable code" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).openapi({
        description: "Per code: `errors[]` of `{path, message}` for VALIDATION_ERROR, the id at fault…",
      }),
      request_id: z.string().openapi({ description: "Also in the `X-Request-Id` response header" }),
    }),
  })
  .openapi("Error", {
    example: {
      detail: "Job 'abc' not found",
      error: {
        code: "JOB_NOT_FOUND",
        message: "Job 'abc' not found",
        details: { job_id: "abc" },
        request_id: "9a1c0d2e-4f5b-4c6d-8e7f-0a1b2c3d4e5f",
      },
    },
  });

/** A JSON response of `schema`. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

type ErrorResponse = ReturnType<typeof json<typeof ErrorSchema>>;
type CommonStatus = 401 | 422 | 500;

/**
 * The error responses of a route: the ones only it has (`{404: "No such job"}`) plus those every route can give
 * (401 without a valid key, 422 on a bad request, 500).
 */
export function errors<const S extends number = never>(
  specific: Record<S, string> = {} as Record<S, string>,
): Record<S | CommonStatus, ErrorResponse> {
  const common: Record<CommonStatus, string> = {
    401: "Missing or invalid API key (when keys are configured)",
    422: "Invalid request: `error.details.errors[]` names each bad field",
    500: "Unexpected server error; the message carries the request id",
  };
  const all: Record<number, string> = { ...common, ...specific };
  return Object.fromEntries(
    Object.entries(all).map(([status, text]) => [status, json(ErrorSchema, text)]),
  ) as Record<S | CommonStatus, ErrorResponse>;
}

/** A JSON request body the route needs. An empty body counts as `{}`, so the missing fields are named in the 422. */
export const jsonBody = <T extends z.ZodType>(schema: T, description: string) => ({
  required: true,
  description,
  content: { "application/json": { schema } },
});

/**
 * A JSON request body the route can do without: no body, an empty body (even with `Content-Type: application/json`)
 * and no `Content-Type` all arrive in the handler as `{}`. See middleware/body.ts for the empty-body rule.
 */
export const optionalJsonBody = <T extends z.ZodType>(schema: T, description: string) => ({
  required: false,
  description,
  content: { "application/json": { schema } },
});
