/** A mistake in how the CLI was called (unknown command, missing argument): exit 2 with the usage text. */
export class UsageError extends Error {
  override name = "UsageError";
}
