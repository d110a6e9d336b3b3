import type { SwaggerAssetLoader } from "../api/deps.js";

/**
 * Swagger UI's files from the Worker's static assets (wrangler.toml `[assets]` = node_modules/swagger-ui-dist).
 * The docs route asks only for the names it allows; the assets binding is never exposed directly
 * (`run_worker_first`), so the rest of the package stays unreachable.
 */
export function swaggerAssetsFromBinding(assets: Fetcher | undefined): SwaggerAssetLoader | undefined {
  if (!assets) return undefined;
  return async (name) => {
    const response = await assets.fetch(new Request(`https://assets.local/${encodeURIComponent(name)}`));
    if (!response.ok) return null;
    const headers = new Headers(response.headers);
    headers.set("cache-control", "public, max-age=86400");
    return new Response(response.body, { status: 200, headers });
  };
}
