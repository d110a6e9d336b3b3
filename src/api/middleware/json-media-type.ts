import { ApiError } from "../errors.js";

const MAX_ECHOED_TYPE = 128;

/**
 * The API reads JSON only: `application/json` or any `…/…+json` type, parameters allowed, case ignored. Anything
 * else — above all the three types a cross-site form or a no-CORS `fetch` may send without a preflight
 * (`text/plain`, `application/x-www-form-urlencoded`, `multipart/form-data`) — is not JSON, whatever it holds.
 */
export function isJsonMediaType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const essence = contentType.split(";")[0]!.trim().toLowerCase();
  return essence === "application/json" || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence);
}

export function unsupportedMediaType(contentType: string | null): ApiError {
  const shown = contentType === null ? null : contentType.slice(0, MAX_ECHOED_TYPE);
  return new ApiError(
    "UNSUPPORTED_MEDIA_TYPE",
    415,
    shown === null
      ? "A request body needs Content-Type: application/json"
      : `Request bodies must be JSON (Content-Type: application/json), not '${shown}'`,
    { content_type: shown },
  );
}
