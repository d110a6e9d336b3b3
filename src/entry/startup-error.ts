import { dirname } from "node:path";
import { ConfigError } from "../config.js";
import { RoutineModuleError } from "./load-user-code.js";

/**
 * A reason the server cannot start that the operator can fix (a file, a directory, a port): the entries print its
 * message as one line on stderr and exit 1, without a stack trace. Anything else that fails at start-up is a bug
 * and is printed whole.
 */
export class StartupError extends Error {
  override name = "StartupError";
}

const codeOf = (error: unknown): string => String((error as { code?: unknown })?.code ?? "");
const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0]!;

/** `ROUTILUX_DATA_DIR` could not be created (a path through a file, no permission, a read-only file system). */
export function dataDirError(dir: string, error: unknown): StartupError {
  return new StartupError(
    `cannot create the data directory ${dir} (${messageOf(error)}): ` +
      "set ROUTILUX_DATA_DIR to a writable directory, or ROUTILUX_STORE=memory to keep nothing",
    { cause: error },
  );
}

/** The SQLite file could not be opened or set up: a file that is not a database, or one that cannot be written. */
export function databaseError(file: string, error: unknown): StartupError | undefined {
  const code = codeOf(error);
  const message = messageOf(error);
  if (code === "SQLITE_NOTADB" || code === "SQLITE_CORRUPT")
    return new StartupError(
      `${file} is not a SQLite database (${message}): move it away to start with an empty one, ` +
        "or set ROUTILUX_DATA_DIR to another directory",
      { cause: error },
    );
  if (/^SQLITE_(CANTOPEN|READONLY|PERM|IOERR|FULL|AUTH)/.test(code) || /^E(ACCES|PERM|ROFS)$/.test(code))
    return new StartupError(
      `cannot open ${file} for writing (${message}): make ${dirname(file)} writable, ` +
        "or set ROUTILUX_DATA_DIR to a writable directory",
      { cause: error },
    );
  return undefined;
}

/** The server could not listen on `host:port`. */
export function listenError(host: string, port: number, error: unknown): unknown {
  const code = codeOf(error);
  const where = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  if (code === "EADDRINUSE")
    return new StartupError(
      `port ${port} is already in use (${where}): stop what listens there, or set ROUTILUX_PORT (or --port) ` +
        "to a free port",
      { cause: error },
    );
  if (code === "EACCES" || code === "EADDRNOTAVAIL")
    return new StartupError(
      `cannot listen on ${where} (${messageOf(error)}): set ROUTILUX_PORT to a port above 1023 and ` +
        "ROUTILUX_HOST to an address of this machine",
      { cause: error },
    );
  return error;
}

/**
 * The one line an entry prints for a start-up failure the operator can fix (a bad variable, a file, a port), or
 * undefined for anything else: that is a bug, and its stack trace is what a report needs.
 */
export function startupFailureLine(error: unknown): string | undefined {
  if (error instanceof ConfigError)
    return `routilux: ${error.message}: set ${error.variable} to a valid value, or unset it for the default`;
  if (error instanceof StartupError || error instanceof RoutineModuleError)
    return `routilux: ${error.message}`;
  return undefined;
}
