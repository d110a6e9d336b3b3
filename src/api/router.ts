import { type Hook, OpenAPIHono } from "@hono/zod-openapi";
import type { ValidationTargets } from "hono";
import type { ApiRouter, AppEnv } from "./env.js";
import { validationError } from "./errors.js";

/** Where a bad field was, in the words of OpenAPI's parameter locations (and FastAPI's `loc`, which clients know). */
const LOCATIONS: Record<keyof ValidationTargets, string> = {
  json: "body",
  form: "body",
  query: "query",
  param: "path",
  header: "header",
  cookie: "cookie",
};

/**
 * Every zod failure of a route's request becomes one 422 VALIDATION_ERROR naming each bad field
 * (`query.status`, `body.entry_params`, `path.job_id`). Thrown, so `onError` writes the envelope like any other.
 */
export const validationHook: Hook<unknown, AppEnv, string, undefined> = (result) => {
  if (result.success) return;
  const location = LOCATIONS[result.target];
  throw validationError(
    result.error.issues.map((issue) => ({
      path: [location, ...issue.path.map(String)].join("."),
      message: issue.message,
    })),
  );
};

/** A router for one area of the API; mounted by `createApp`. */
export const router = (): ApiRouter => new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
