import type { RouterDeps } from "../deps.js";
import { ApiError } from "../errors.js";
import { router } from "../router.js";

/** The files of swagger-ui-dist that the page (and a browser's dev tools) may ask for; nothing else is served. */
export const SWAGGER_ASSETS: ReadonlySet<string> = new Set([
  "swagger-ui.css",
  "swagger-ui.css.map",
  "swagger-ui-bundle.js",
  "swagger-ui-bundle.js.map",
  "swagger-ui-standalone-preset.js",
  "swagger-ui-standalone-preset.js.map",
  "favicon-16x16.png",
  "favicon-32x32.png",
]);

// Self-hosted assets only: the page must work offline and leak nothing to a CDN. `validatorUrl: null` stops
// Swagger UI from sending the document to validator.swagger.io.
const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Routilux API</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" sizes="32x32" href="/docs/assets/favicon-32x32.png">
  <link rel="icon" type="image/png" sizes="16x16" href="/docs/assets/favicon-16x16.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "/openapi.json",
      dom_id: "#swagger-ui",
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout",
      validatorUrl: null,
      persistAuthorization: true,
    });
  </script>
</body>
</html>
`;

/** Swagger UI at `/docs`, its files at `/docs/assets/<name>`. Not API operations, so not in the OpenAPI document. */
export const docsRoutes = ({ swaggerAssets }: RouterDeps) =>
  router()
    .get("/docs", (c) => c.html(PAGE))
    .get("/docs/assets/:name", async (c) => {
      const name = c.req.param("name");
      const asset = SWAGGER_ASSETS.has(name) ? await swaggerAssets?.(name) : null;
      if (!asset) throw new ApiError("NOT_FOUND", 404, `No such documentation asset: '${name}'`, { name });
      return asset;
    });
