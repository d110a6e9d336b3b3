import { readdir, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type AnyRoutineType, Routine } from "../core/routine.js";
import { isBun } from "./runtime.js";

/**
 * Loads a user's routine modules (`routilux serve --routines <file|dir>`). The convention, documented in
 * docs/getting-started.md: a module's routine types are its exports — the default export or any named export —
 * that are a routine type (`defineRoutine(...)`, an instance of a `Routine` subclass), a `Routine` subclass with a
 * no-argument constructor, or an array of those. Other exports (helpers, constants) are ignored.
 */

const require = createRequire(import.meta.url);

const MODULE_EXTENSIONS = new Set([".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".tsx"]);
const TYPESCRIPT_EXTENSIONS = new Set([".ts", ".mts", ".cts", ".tsx"]);
/** Declarations and tests sit next to routines; importing a test file would run it. */
const NOT_ROUTINES = /\.(d|test|spec)\.[cm]?[jt]sx?$/;

export const isRoutineModuleName = (name: string): boolean =>
  MODULE_EXTENSIONS.has(extname(name)) && !NOT_ROUTINES.test(name);

/** A routine module that could not be imported, or that broke the convention. */
export class RoutineModuleError extends Error {
  override name = "RoutineModuleError";
  constructor(
    readonly file: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`${file}: ${reason}`, options);
  }
}

export interface RoutineModule {
  file: string;
  types: AnyRoutineType[];
}

/**
 * The module files named by `--routines`: a file as given; a directory's modules (not its subdirectories, so
 * helpers can live in a `lib/` folder next to the routines), in name order.
 */
export async function routineFiles(paths: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    const info = await stat(absolute).catch(() => null);
    if (!info) throw new RoutineModuleError(path, "no such file or directory");
    if (!info.isDirectory()) {
      files.push(absolute);
      continue;
    }
    const entries = await readdir(absolute, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isFile() && isRoutineModuleName(entry.name)) files.push(join(absolute, entry.name));
    }
  }
  return [...new Set(files)];
}

/**
 * Imports one module and returns its routine types. `version` > 0 imports a fresh copy for hot reload (a query
 * string defeats the ESM module cache); only that module is fresh — the modules it imports stay cached.
 */
export async function importRoutineModule(file: string, version = 0): Promise<RoutineModule> {
  if (TYPESCRIPT_EXTENSIONS.has(extname(file))) await enableTypeScript();
  // A module Node loads as CommonJS (a .ts file outside a `"type": "module"` package, a .cjs file) is cached by
  // path in require.cache, which the query string does not reach; forgetting it makes the import read the file.
  if (version > 0) delete require.cache[file];
  const url = `${pathToFileURL(file).href}${version > 0 ? `?v=${version}` : ""}`;
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    throw new RoutineModuleError(file, `cannot be loaded: ${describe(error)}`, { cause: error });
  }
  return { file, types: routineTypesIn(namespace) };
}

/** Every routine type a module exports, each once, in export order. */
export function routineTypesIn(namespace: Record<string, unknown>): AnyRoutineType[] {
  const found = new Set<AnyRoutineType>();
  for (const value of Object.values(exportsOf(namespace))) {
    for (const item of Array.isArray(value) ? value : [value]) {
      const type = asRoutineType(item);
      if (type) found.add(type);
    }
  }
  return [...found];
}

/** A TypeScript file compiled to CommonJS (in a package without `"type": "module"`) arrives as `default`. */
function exportsOf(namespace: Record<string, unknown>): Record<string, unknown> {
  const fallback = namespace.default;
  const isCommonJs =
    typeof fallback === "object" &&
    fallback !== null &&
    (fallback as { __esModule?: unknown }).__esModule === true;
  return isCommonJs ? (fallback as Record<string, unknown>) : namespace;
}

const instances = new WeakMap<object, AnyRoutineType>();

function asRoutineType(value: unknown): AnyRoutineType | undefined {
  if (typeof value === "function" && value.prototype instanceof Routine) {
    // One instance per class, so the same class exported twice (named and in the default array) counts once.
    let instance = instances.get(value);
    if (!instance) {
      instance = new (value as new () => AnyRoutineType)();
      instances.set(value, instance);
    }
    return instance;
  }
  return isRoutineType(value) ? value : undefined;
}

/**
 * Structural, not `instanceof`: a routine defined against another copy of the package (a linked checkout, a
 * second install) is still a routine.
 */
export function isRoutineType(value: unknown): value is AnyRoutineType {
  if (typeof value !== "object" || value === null) return false;
  const type = value as Partial<Record<keyof AnyRoutineType, unknown>>;
  return (
    typeof type.name === "string" &&
    typeof type.slots === "object" &&
    type.slots !== null &&
    Array.isArray(type.events) &&
    typeof type.handlers === "object" &&
    typeof (type.config as { safeParse?: unknown } | undefined)?.safeParse === "function"
  );
}

let typescript: Promise<void> | undefined;

/**
 * Lets `import()` load TypeScript. Bun does by itself; on Node, tsx's loader hooks compile it — the ESM hooks for
 * modules, the CommonJS ones for `.cts` and `.ts` files in packages without `"type": "module"`. Idempotent.
 */
export function enableTypeScript(): Promise<void> {
  typescript ??= (async () => {
    if (isBun()) return;
    const [esm, cjs] = await Promise.all([import("tsx/esm/api"), import("tsx/cjs/api")]);
    esm.register();
    cjs.register();
  })();
  return typescript;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // A syntax error's first stack line names the file and line; the message alone often does not.
  return error instanceof SyntaxError && error.stack
    ? error.stack.split("\n").slice(0, 2).join(" ")
    : error.message;
}
