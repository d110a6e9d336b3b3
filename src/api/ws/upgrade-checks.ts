import type { Context } from "hono";
import type { AppEnv } from "../env.js";
import { ApiError, validationError } from "../errors.js";
import { ID_PATTERN } from "../schemas/common.js";

/** What every WebSocket endpoint checks before an upgrade, on every runtime (the Workers build forwards after these). */

export function pathId(c: Context<AppEnv>, name: "job_id" | "flow_id"): string {
  const value = c.req.param(name) ?? "";
  if (!ID_PATTERN.test(value)) {
    throw validationError([{ path: `path.${name}`, message: "must match ^[A-Za-z0-9_.:-]{1,128}$" }]);
  }
  return value;
}

/** `?since=N`: the last seq the client already has (0 or absent: from the first event). */
export function sinceOf(c: Context<AppEnv>): number {
  const value = c.req.query("since");
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,15}$/.test(value)) {
    throw validationError([{ path: "query.since", message: "must be an integer >= 0" }]);
  }
  return Number(value);
}

/** A plain HTTP request to a WebSocket endpoint gets 426 with the envelope, not a confusing 404 or hang. */
export function requireUpgrade(c: Context<AppEnv>): void {
  if (c.req.header("upgrade")?.toLowerCase() === "websocket") return;
  throw new ApiError(
    "VALIDATION_ERROR",
    426,
    "This is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)",
    { errors: [{ path: "header.upgrade", message: "must be websocket" }] },
    { Upgrade: "websocket" },
  );
}
