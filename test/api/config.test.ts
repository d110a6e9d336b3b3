import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { CONFIG_VARIABLES, ConfigError, ConfigSchema, envName, loadConfig } from "../../src/config.js";

describe("loadConfig", () => {
  test("an empty environment gives the documented defaults", () => {
    expect(loadConfig({})).toEqual({
      port: 20555,
      host: "127.0.0.1",
      apiKeys: [],
      corsOrigins: [
        "http://localhost:3000",
        "http://localhost:8000",
        "http://127.0.0.1:3000",
        "http://127.0.0.1:8000",
      ],
      maxBodyBytes: 1024 * 1024,
      exprEvalEnabled: false,
      wsHeartbeatSeconds: 30,
      wsMaxQueue: 1000,
      dataDir: "./.routilux",
      store: "sqlite",
      retentionJobs: undefined,
      retentionDays: undefined,
      maxEventsPerJob: 100_000,
      maxEventBytes: 1024 ** 2,
      maxLogBytes: 64 * 1024 ** 2,
      maxJobBytes: 256 * 1024 ** 2,
      maxPendingDeliveries: 100_000,
      maxTotalBytes: undefined,
      maxActiveJobs: 1000,
      maxBreakpointsPerJob: 100,
      maxConditionSteps: 10_000,
      maxWsConnections: 1000,
      maxSubscriptions: 1000,
      allowedHosts: undefined,
      fetchAllow: [],
      fetchMaxBytes: 10 * 1024 ** 2,
      fetchTimeoutMs: 30_000,
      auditLog: undefined,
      logLevel: "info",
    });
  });

  test("every variable is read", () => {
    const config = loadConfig({
      ROUTILUX_PORT: "0",
      ROUTILUX_HOST: "0.0.0.0",
      ROUTILUX_API_KEYS: " alpha ,beta,, ",
      ROUTILUX_CORS_ORIGINS: "https://ui.example.com/, http://localhost:5173",
      ROUTILUX_MAX_BODY_BYTES: "2048",
      ROUTILUX_EXPR_EVAL_ENABLED: "TRUE",
      ROUTILUX_WS_HEARTBEAT_SECONDS: "5",
      ROUTILUX_WS_MAX_QUEUE: "10",
      ROUTILUX_DATA_DIR: "/var/lib/routilux",
      ROUTILUX_STORE: "memory",
      ROUTILUX_RETENTION_JOBS: "500",
      ROUTILUX_RETENTION_DAYS: "0.5",
      ROUTILUX_MAX_EVENTS_PER_JOB: "20",
      ROUTILUX_MAX_EVENT_BYTES: "1000",
      ROUTILUX_MAX_LOG_BYTES: "2000",
      ROUTILUX_MAX_JOB_BYTES: "3000",
      ROUTILUX_MAX_PENDING_DELIVERIES: "40",
      ROUTILUX_MAX_TOTAL_BYTES: "5000",
      ROUTILUX_MAX_ACTIVE_JOBS: "6",
      ROUTILUX_MAX_BREAKPOINTS_PER_JOB: "7",
      ROUTILUX_MAX_CONDITION_STEPS: "800",
      ROUTILUX_MAX_WS_CONNECTIONS: "9",
      ROUTILUX_MAX_SUBSCRIPTIONS: "11",
      ROUTILUX_ALLOWED_HOSTS: "Routilux.example.com, localhost",
      ROUTILUX_FETCH_ALLOW: "10.0.0.0/8, api.internal:8443",
      ROUTILUX_FETCH_MAX_BYTES: "4096",
      ROUTILUX_FETCH_TIMEOUT_MS: "1500",
      ROUTILUX_AUDIT_LOG: "/var/log/routilux-audit.jsonl",
      ROUTILUX_LOG_LEVEL: "debug",
    });
    expect(config).toEqual({
      port: 0,
      host: "0.0.0.0",
      apiKeys: ["alpha", "beta"],
      corsOrigins: ["https://ui.example.com", "http://localhost:5173"],
      maxBodyBytes: 2048,
      exprEvalEnabled: true,
      wsHeartbeatSeconds: 5,
      wsMaxQueue: 10,
      dataDir: "/var/lib/routilux",
      store: "memory",
      retentionJobs: 500,
      retentionDays: 0.5,
      maxEventsPerJob: 20,
      maxEventBytes: 1000,
      maxLogBytes: 2000,
      maxJobBytes: 3000,
      maxPendingDeliveries: 40,
      maxTotalBytes: 5000,
      maxActiveJobs: 6,
      maxBreakpointsPerJob: 7,
      maxConditionSteps: 800,
      maxWsConnections: 9,
      maxSubscriptions: 11,
      allowedHosts: ["routilux.example.com", "localhost"],
      fetchAllow: ["10.0.0.0/8", "api.internal:8443"],
      fetchMaxBytes: 4096,
      fetchTimeoutMs: 1500,
      auditLog: "/var/log/routilux-audit.jsonl",
      logLevel: "debug",
    });
  });

  test("an empty value means the default", () => {
    expect(loadConfig({ ROUTILUX_PORT: "", ROUTILUX_API_KEYS: "" })).toMatchObject({
      port: 20555,
      apiKeys: [],
    });
  });

  test("`*` is an origin only when set explicitly", () => {
    expect(loadConfig({}).corsOrigins).not.toContain("*");
    expect(loadConfig({ ROUTILUX_CORS_ORIGINS: "*" }).corsOrigins).toEqual(["*"]);
  });

  test.each([
    ["ROUTILUX_PORT", "abc", 'ROUTILUX_PORT must be an integer 0–65535, got "abc"'],
    ["ROUTILUX_PORT", "70000", 'ROUTILUX_PORT must be an integer 0–65535, got "70000"'],
    ["ROUTILUX_PORT", "80.5", 'ROUTILUX_PORT must be an integer 0–65535, got "80.5"'],
    ["ROUTILUX_MAX_BODY_BYTES", "1MB", "ROUTILUX_MAX_BODY_BYTES must be an integer"],
    ["ROUTILUX_EXPR_EVAL_ENABLED", "maybe", 'ROUTILUX_EXPR_EVAL_ENABLED must be true or false, got "maybe"'],
    ["ROUTILUX_STORE", "postgres", 'ROUTILUX_STORE must be one of sqlite, memory, got "postgres"'],
    [
      "ROUTILUX_CORS_ORIGINS",
      "localhost:3000/app",
      "ROUTILUX_CORS_ORIGINS must be `*` or a comma list of origins",
    ],
    ["ROUTILUX_RETENTION_DAYS", "-1", "ROUTILUX_RETENTION_DAYS must be a positive number"],
    ["ROUTILUX_WS_HEARTBEAT_SECONDS", "0", "ROUTILUX_WS_HEARTBEAT_SECONDS must be an integer 1–3600"],
    ["ROUTILUX_LOG_LEVEL", "loud", "ROUTILUX_LOG_LEVEL must be one of debug, info, warn, error"],
    [
      "ROUTILUX_FETCH_ALLOW",
      "10.0.0.0/8, 10.0.0.0/33",
      "ROUTILUX_FETCH_ALLOW must be a comma list of hosts, host:port or CIDRs",
    ],
  ])("%s=%s is refused with a message naming the variable", (variable, value, message) => {
    let thrown: unknown;
    try {
      loadConfig({ [variable]: value });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).variable).toBe(variable);
    expect((thrown as ConfigError).message.startsWith(message)).toBe(true);
  });

  test("variable names follow the schema keys", () => {
    expect(envName("maxBodyBytes")).toBe("ROUTILUX_MAX_BODY_BYTES");
    expect(CONFIG_VARIABLES).toContain("ROUTILUX_EXPR_EVAL_ENABLED");
    expect(CONFIG_VARIABLES).toHaveLength(Object.keys(ConfigSchema.shape).length);
  });

  test("docs/configuration.md documents every variable in its table", () => {
    const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    const tableRows = doc.split("\n").filter((line) => line.startsWith("| `ROUTILUX_"));
    const documented = tableRows.map((line) => /^\| `(ROUTILUX_[A-Z_]+)`/.exec(line)![1]);
    expect([...documented].sort()).toEqual([...CONFIG_VARIABLES].sort());
  });
});
