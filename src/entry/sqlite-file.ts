import type { SqliteDriver } from "../service/sqlite/driver.js";
import { SqliteStore } from "../service/sqlite/sqlite-store.js";
import type { Store } from "../service/store.js";
import { isBun } from "./runtime.js";
import { databaseError, StartupError } from "./startup-error.js";

// The drivers are named in variables on purpose: bundlers (wrangler's esbuild, Vite) leave `import(variable)`
// alone, so bundling the package for Workers never pulls in a native SQLite binding, and Node users who never
// ask for SQLite never load better-sqlite3. Node and Bun resolve the specifier relative to this file at run time.
const BETTER_SQLITE3_DRIVER = "../service/sqlite/better-sqlite3-driver.js";
const BUN_SQLITE_DRIVER = "../service/sqlite/bun-sqlite-driver.js";

type BetterSqlite3Driver = typeof import("../service/sqlite/better-sqlite3-driver.js");
// Typed by hand rather than `typeof import(...)`: that module's `bun:sqlite` types exist only in this repository's
// ambient declaration, which a program that merely reaches this file (the examples' type-check) does not include.
type BunSqliteDriver = { openBunSqlite(path: string): SqliteDriver };

/** A SQLite store in `file` (created when missing): `bun:sqlite` on Bun, better-sqlite3 on Node. */
export async function openSqliteStore(file: string): Promise<Store> {
  const driver = await openDriver(file);
  try {
    return new SqliteStore(driver);
  } catch (error) {
    throw databaseError(file, error) ?? error;
  }
}

async function openDriver(file: string): Promise<SqliteDriver> {
  try {
    if (isBun()) return ((await import(BUN_SQLITE_DRIVER)) as BunSqliteDriver).openBunSqlite(file);
    const { openBetterSqlite3 } = (await import(BETTER_SQLITE3_DRIVER)) as BetterSqlite3Driver;
    return openBetterSqlite3(file);
  } catch (error) {
    const fault = databaseError(file, error);
    if (fault) throw fault;
    if (isBun() || !isMissingNativeModule(error)) throw error;
    throw new SqliteUnavailableError(
      `the SQLite store needs better-sqlite3's native module, which could not be loaded (${firstLine(error)}). ` +
        "Run `npm rebuild better-sqlite3` (npm may have skipped its install script), or set ROUTILUX_STORE=memory.",
      { cause: error },
    );
  }
}

/** SQLite was asked for where no driver can be loaded. */
export class SqliteUnavailableError extends StartupError {
  override name = "SqliteUnavailableError";
}

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const firstLine = (error: unknown): string =>
  messageOf(error)
    .split("\n")[0]!
    .replace(/[.:]\s*$/, "");

// better-sqlite3 loads its addon on the first `new Database()`: a missing or foreign build fails there, not at import.
const isMissingNativeModule = (error: unknown): boolean =>
  /better-sqlite3|bindings file|NODE_MODULE_VERSION|ERR_DLOPEN_FAILED|\.node\b/.test(
    `${(error as { code?: string })?.code ?? ""} ${messageOf(error)}`,
  );
