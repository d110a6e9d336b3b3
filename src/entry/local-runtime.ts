import { appendFileSync, mkdirSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { type CreateAppOptions, createApp } from "../api/app.js";
import type { SwaggerAssetLoader } from "../api/deps.js";
import { jsonLogger } from "../api/logger.js";
import { type AuditLog, jsonLinesAuditLog } from "../api/middleware/audit.js";
import { type SocketAccess, WsHub } from "../api/ws/index.js";
import type { AnyUpgradeWebSocket } from "../api/ws/routes.js";
import type { Config } from "../config.js";
import { dataDirError } from "./startup-error.js";

/** What the Node and Bun entries share: files, package metadata and the audit sink (Bun speaks node:fs too). */

const require = createRequire(import.meta.url);

/** The SQLite file under `ROUTILUX_DATA_DIR`, created with its directory when missing. */
export function databaseFile(config: Config): string {
  try {
    mkdirSync(config.dataDir, { recursive: true });
  } catch (error) {
    throw dataDirError(config.dataDir, error);
  }
  return join(config.dataDir, "routilux.db");
}

export function packageVersion(): string {
  return (require("../../package.json") as { version: string }).version;
}

const CONTENT_TYPES: Record<string, string> = {
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".png": "image/png",
};

/**
 * Serves Swagger UI's files from the installed swagger-ui-dist package, each read once and then kept in memory
 * (a few MB at most; the route only asks for the names it allows).
 */
export function swaggerAssetsFromPackage(): SwaggerAssetLoader {
  const directory = dirname(require.resolve("swagger-ui-dist/package.json"));
  const cache = new Map<string, Promise<Uint8Array | null>>();
  return async (name) => {
    if (basename(name) !== name) return null;
    let bytes = cache.get(name);
    if (!bytes) {
      bytes = readFile(join(directory, name)).then(
        (buffer) => new Uint8Array(buffer),
        () => null,
      );
      cache.set(name, bytes);
    }
    const body = await bytes;
    if (!body) return null;
    const type = CONTENT_TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";
    return new Response(body, {
      headers: { "content-type": type, "cache-control": "public, max-age=86400" },
    });
  };
}

/** `ROUTILUX_AUDIT_LOG`: appended to that file, one JSON line per entry, or written to stderr when unset. */
export function auditLogFromConfig(config: Config): AuditLog {
  const file = config.auditLog;
  if (!file) return jsonLinesAuditLog((line) => process.stderr.write(`${line}\n`));
  mkdirSync(dirname(file), { recursive: true });
  // Synchronous on purpose: audit entries are rare, and one must not be lost to a crash right after it.
  return jsonLinesAuditLog((line) => appendFileSync(file, `${line}\n`));
}

/**
 * The app as the Node and Bun entries serve it: one WebSocket hub over the runtime's socket access, the package's
 * Swagger UI, the audit sink from the configuration, and gzip. The caller's options win over these defaults.
 */
export function localApp(
  options: Omit<CreateAppOptions, "upgradeWebSocket" | "compress">,
  access: SocketAccess,
  upgradeWebSocket: AnyUpgradeWebSocket,
): { app: ReturnType<typeof createApp>; ws: WsHub } {
  const { config } = options;
  const ws =
    options.ws ??
    new WsHub({ jobs: options.jobs, flows: options.flows, debug: options.debug, config, access });
  const app = createApp({
    logger: jsonLogger({ level: config.logLevel }),
    audit: auditLogFromConfig(config),
    version: packageVersion(),
    swaggerAssets: swaggerAssetsFromPackage(),
    ...options,
    ws,
    upgradeWebSocket,
    compress: true,
  });
  return { app, ws };
}
