import type { OpenAPIHono } from "@hono/zod-openapi";

/** What middleware leaves on the request context for handlers (and for routers other engineers add). */
export interface AppVariables {
  /** From `X-Request-Id` when the client sent a usable one; generated otherwise. Echoed on every response. */
  requestId: string;
  /**
   * First 12 hex digits of the SHA-256 of the API key that authenticated this request: who did it, for the audit
   * log, without the key. Null when authentication is off or the route is public.
   */
  apiKeyHash: string | null;
}

export interface AppEnv {
  Variables: AppVariables;
}

/** The router type every area module returns and `createApp` mounts. */
export type ApiRouter = OpenAPIHono<AppEnv>;
