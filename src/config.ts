import { z } from "zod";
import { parseAllowEntry } from "./routines/outbound/policy.js";

/**
 * The server's configuration, read once from the environment (Node/Bun: `process.env`; Workers: `env` bindings)
 * and passed down explicitly. This is the only module that knows environment variable names: each key of
 * `ConfigSchema` is read from `ROUTILUX_<KEY_IN_UPPER_SNAKE_CASE>` (`maxBodyBytes` ← `ROUTILUX_MAX_BODY_BYTES`).
 * Every variable is documented in docs/configuration.md.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const STORE_KINDS = ["sqlite", "memory"] as const;

/** A value that fails to parse; the message names the variable and the value (never an API key). */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
  }
}

// A variable set to an empty string counts as unset, so `ROUTILUX_PORT=` means "the default".
const raw = z.string().optional();

const parsed =
  <T>(expected: string, parse: (value: string) => T | undefined) =>
  <F extends T | undefined>(fallback: F) =>
    raw.transform((value, ctx): T | F => {
      if (value === undefined || value.trim() === "") return fallback;
      const result = parse(value.trim());
      if (result === undefined) {
        ctx.addIssue({ code: "custom", message: expected });
        return z.NEVER;
      }
      return result;
    });

const integer = (min: number, max: number) =>
  parsed(`must be an integer ${min}–${max}`, (value) => {
    if (!/^[+-]?\d+$/.test(value)) return undefined;
    const n = Number(value);
    return n >= min && n <= max ? n : undefined;
  });

const positiveNumber = parsed("must be a positive number", (value) => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
});

const TRUE = new Set(["true", "1", "yes", "on"]);
const FALSE = new Set(["false", "0", "no", "off"]);
const boolean = parsed("must be true or false", (value) => {
  const lower = value.toLowerCase();
  return TRUE.has(lower) ? true : FALSE.has(lower) ? false : undefined;
});

const text = parsed("must be a non-empty string", (value) => value);

const oneOf = <const T extends readonly string[]>(values: T) =>
  parsed(`must be one of ${values.join(", ")}`, (value) =>
    values.includes(value.toLowerCase()) ? (value.toLowerCase() as T[number]) : undefined,
  );

const commaList = (value: string): string[] =>
  value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** `*`, or origins such as `https://app.example.com` (a trailing slash is forgiven; a path is not). */
const origins = parsed("must be `*` or a comma list of origins like https://app.example.com", (value) => {
  const list = commaList(value).map((origin) => origin.replace(/\/+$/, ""));
  const valid = list.every((origin) => {
    if (origin === "*") return true;
    try {
      return new URL(origin).origin === origin;
    } catch {
      return false;
    }
  });
  return valid && list.length > 0 ? list : undefined;
});

const keys = parsed("must be a comma list of keys", commaList);

export const DEFAULT_CORS_ORIGINS = [
  "http://localhost:3000",
  "http://localhost:8000",
  "http://127.0.0.1:3000",
  "http://127.0.0.1:8000",
];

/** `*`, or host names (`api.example.com`, `[::1]`); a port is ignored. */
const hosts = parsed("must be `*` or a comma list of host names like api.example.com", (value) => {
  const list = commaList(value).map((host) => host.toLowerCase());
  return list.length > 0 ? list : undefined;
});

/** Hosts, `host:port` pairs or CIDR blocks that outbound requests may reach although they are private. */
const destinations = parsed("must be a comma list of hosts, host:port or CIDRs like 10.0.0.0/8", (value) => {
  const list = commaList(value).map((item) => item.toLowerCase());
  return list.length > 0 && list.every((item) => parseAllowEntry(item) !== null) ? list : undefined;
});

const MiB = 1024 * 1024;

export const ConfigSchema = z.object({
  port: integer(0, 65535)(20555),
  host: text("127.0.0.1"),
  /** Empty: authentication is off. */
  apiKeys: keys([]),
  /** `*` is honoured only when set explicitly; the default is the two local UI ports. */
  corsOrigins: origins(DEFAULT_CORS_ORIGINS),
  maxBodyBytes: integer(1, 1024 ** 3)(1024 * 1024),
  exprEvalEnabled: boolean(false),
  wsHeartbeatSeconds: integer(1, 3600)(30),
  wsMaxQueue: integer(1, 1_000_000)(1000),
  dataDir: text("./.routilux"),
  store: oneOf(STORE_KINDS)("sqlite"),
  /** Finished jobs kept; undefined keeps them all. */
  retentionJobs: integer(1, Number.MAX_SAFE_INTEGER)(undefined),
  /** Days a finished job is kept; undefined keeps them forever. */
  retentionDays: positiveNumber(undefined),
  maxEventsPerJob: integer(1, Number.MAX_SAFE_INTEGER)(100_000),
  /** Largest emitted payload (its JSON size); a larger emit throws inside the handler. */
  maxEventBytes: integer(1, 1024 * MiB)(MiB),
  /** Bytes of event log a job keeps in memory; older events are dropped from the front beyond it. */
  maxLogBytes: integer(1, Number.MAX_SAFE_INTEGER)(64 * MiB),
  /** A job's live data (queued deliveries, merge buffers, shared data, routine state); past it the job fails. */
  maxJobBytes: integer(1, Number.MAX_SAFE_INTEGER)(256 * MiB),
  /** Deliveries queued in one job; past it the job fails. */
  maxPendingDeliveries: integer(1, Number.MAX_SAFE_INTEGER)(100_000),
  /** Live data and in-memory logs of all jobs together; undefined: half of the runtime's heap limit. */
  maxTotalBytes: integer(1, Number.MAX_SAFE_INTEGER)(undefined),
  /** Jobs pending, running or paused at once; one more start answers 429. */
  maxActiveJobs: integer(1, Number.MAX_SAFE_INTEGER)(1000),
  maxBreakpointsPerJob: integer(1, 1_000_000)(100),
  /** Expression steps all breakpoint conditions checked at one safe point may take together. */
  maxConditionSteps: integer(1, 100_000_000)(10_000),
  /** Open WebSocket connections; one more upgrade answers 429. */
  maxWsConnections: integer(1, 1_000_000)(1000),
  /** Subscriptions (jobs and flows) one WebSocket may hold. */
  maxSubscriptions: integer(1, 1_000_000)(1000),
  /** Host names accepted in the `Host` header besides the loopback names; `*` turns the check off. */
  allowedHosts: hosts(undefined),
  /** Private destinations `HttpFetch` may reach anyway. */
  fetchAllow: destinations([]),
  fetchMaxBytes: integer(1, 1024 * MiB)(10 * MiB),
  fetchTimeoutMs: integer(1, 24 * 3600 * 1000)(30_000),
  /** A file to append audit lines to; undefined writes them to stderr. */
  auditLog: text(undefined),
  logLevel: oneOf(LOG_LEVELS)("info" as LogLevel),
});

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigKey = keyof Config;

/** `maxBodyBytes` → `ROUTILUX_MAX_BODY_BYTES`. */
export const envName = (key: string): string =>
  `ROUTILUX_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;

/** Every variable the server reads, in schema order. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(ConfigSchema.shape).map(envName);

// Values of these variables are secrets: an error message names the variable but never repeats the value.
const SECRET_KEYS = new Set<string>(["apiKeys"]);

/** Builds the configuration from an environment; throws `ConfigError` naming the first invalid variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const input = Object.fromEntries(Object.keys(ConfigSchema.shape).map((key) => [key, env[envName(key)]]));
  const result = ConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = String(issue.path[0]);
  const variable = envName(key);
  const got = SECRET_KEYS.has(key) ? "" : `, got ${JSON.stringify(input[key])}`;
  throw new ConfigError(variable, `${variable} ${issue.message}${got}`);
}
