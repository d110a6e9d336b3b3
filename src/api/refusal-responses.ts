import type { OpenAPIHono } from "@hono/zod-openapi";

type Document31 = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;
type Operation = NonNullable<NonNullable<Document31["paths"]>[string]["get"]>;

/**
 * The refusals any operation can give before its handler runs — 403 from the Host and Origin checks, 415 for a body
 * that is not JSON — as shared response components of the OpenAPI document, referenced from each operation (415
 * only where the operation takes a body). Added to the generated document rather than to each route's `errors()`,
 * so the routes keep listing only what is theirs.
 */

const ERROR_CONTENT = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };

const RESPONSES = {
  Forbidden: {
    description:
      "Refused before the handler: a `Host` that is not served (`ROUTILUX_ALLOWED_HOSTS`) or a browser `Origin` " +
      "that is neither the server's own nor in `ROUTILUX_CORS_ORIGINS`",
    content: ERROR_CONTENT,
  },
  UnsupportedMediaType: {
    description: "A non-empty body whose `Content-Type` is not JSON (`application/json` or `…+json`)",
    content: ERROR_CONTENT,
  },
};

const OPERATION_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

export function withRefusalResponses(document: Document31): Document31 {
  const components = document.components ?? {};
  const paths: NonNullable<Document31["paths"]> = {};
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    paths[path] = Object.fromEntries(
      Object.entries(item).map(([method, value]) => {
        if (!OPERATION_METHODS.includes(method)) return [method, value];
        const operation = value as Operation;
        const refusals: Operation["responses"] = { 403: { $ref: "#/components/responses/Forbidden" } };
        if (operation.requestBody) refusals[415] = { $ref: "#/components/responses/UnsupportedMediaType" };
        return [method, { ...operation, responses: { ...refusals, ...operation.responses } }];
      }),
    );
  }
  return {
    ...document,
    paths,
    components: { ...components, responses: { ...components.responses, ...RESPONSES } },
  };
}
