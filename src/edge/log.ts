/**
 * Errors an object cannot hand to a caller (a checkpoint, a report to the registry): one JSON line on the
 * Worker's log (`wrangler tail`, Workers Logs), the same shape as the API's logger.
 */
export function logError(error: unknown): void {
  console.error(
    JSON.stringify({
      level: "error",
      message: "durable object background work failed",
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    }),
  );
}
