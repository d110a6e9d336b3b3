import type { Context } from "hono";
import type { RouterRoute } from "hono/types";
import type { AppEnv } from "./env.js";
import { ApiError, errorResponse } from "./errors.js";

interface KnownPath {
  pattern: RegExp;
  methods: Set<string>;
}

/** Hono's `/api/jobs/:job_id` and `/docs/*` as a regular expression over the whole path. */
function patternOf(path: string): RegExp {
  const source = path
    .split("/")
    .map((part) =>
      part.startsWith(":") ? "[^/]+" : part === "*" ? ".*" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("/");
  return new RegExp(`^${source}$`);
}

function knownPaths(routes: readonly RouterRoute[]): KnownPath[] {
  const byPath = new Map<string, KnownPath>();
  // Middleware is registered for ALL methods; it says nothing about which methods a path answers.
  for (const route of routes) {
    if (route.method === "ALL") continue;
    const known = byPath.get(route.path) ?? { pattern: patternOf(route.path), methods: new Set<string>() };
    known.methods.add(route.method);
    if (route.method === "GET") known.methods.add("HEAD");
    known.methods.add("OPTIONS");
    byPath.set(route.path, known);
  }
  return [...byPath.values()];
}

/**
 * `app.notFound`: a path no route has is 404 NOT_FOUND; a path some route has, asked with another method, is
 * 405 METHOD_NOT_ALLOWED with an `Allow` header. The route table is read once, at the first miss, when every
 * router has been mounted.
 */
export function notFoundHandler(routes: () => readonly RouterRoute[]) {
  let table: KnownPath[] | undefined;
  return (c: Context<AppEnv>): Response => {
    table ??= knownPaths(routes());
    const { method, path } = c.req;
    const allowed = new Set<string>();
    for (const known of table) if (known.pattern.test(path)) for (const m of known.methods) allowed.add(m);
    if (allowed.size > 0 && !allowed.has(method)) {
      const allow = [...allowed].sort().join(", ");
      return errorResponse(
        c,
        new ApiError(
          "METHOD_NOT_ALLOWED",
          405,
          `Method ${method} is not allowed on ${path}`,
          { allowed: [...allowed].sort() },
          { Allow: allow },
        ),
      );
    }
    return errorResponse(
      c,
      new ApiError("NOT_FOUND", 404, `No route for ${method} ${path}`, { method, path }),
    );
  };
}
