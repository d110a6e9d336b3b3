import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { createApp } from "../api/app.js";
import { type Config, ConfigError, loadConfig } from "../config.js";
import { isFinished, type JobEvent, type JsonObject } from "../core/types.js";
import { parseAndValidateFlowDsl } from "../dsl/index.js";
import { defaultRegistry } from "../routines/index.js";
import { MemoryStore } from "../service/memory-store.js";
import { startNodeServer } from "./node.js";
import { nodeServices } from "./node-services.js";

const USAGE = `Usage: routilux <command> [options]

Commands:
  serve                         Start the server with the demo flows (embedded SQLite by default)
      --port <n>  --host <h>    Override ROUTILUX_PORT / ROUTILUX_HOST
  run <flow.yaml>               Run one job of a flow in the terminal
      --entry <routine_id>      Entry routine (default: source)
      --params '<json>'         Entry params (default: {})
  validate <flow.yaml>          Check a flow file; exit 1 with its errors
  openapi                       Print the OpenAPI document
`;

class UsageError extends Error {}

const SWEEP_INTERVAL_MS = 60_000;

async function serve(config: Config): Promise<void> {
  const services = await nodeServices(config, defaultRegistry());
  const server = await startNodeServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
  });
  if (services.interrupted > 0)
    console.log(`${services.interrupted} job(s) interrupted by the last shutdown were marked failed`);
  console.log(`Routilux listening on ${server.url}`);
  console.log(`API docs: ${server.url}/docs`);
  const sweeper = setInterval(
    () => void services.sweep().catch((error) => console.error(error)),
    SWEEP_INTERVAL_MS,
  );
  sweeper.unref();
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    clearInterval(sweeper);
    await server.close();
    await services.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

async function readFlow(path: string | undefined, registry = defaultRegistry()) {
  if (!path) throw new UsageError("missing <flow.yaml>");
  const text = await readFile(path, "utf8");
  const base = path.replace(/^.*[\\/]/, "").replace(/\.(ya?ml|json)$/i, "");
  return {
    registry,
    ...parseAndValidateFlowDsl(text, registry, {
      now: new Date().toISOString(),
      flow_id: undefined,
      generateId: () => base,
    }),
  };
}

async function validate(path: string | undefined): Promise<number> {
  try {
    const { flow, warnings } = await readFlow(path);
    console.log(`${path}: flow '${flow.flow_id}' is valid`);
    for (const warning of warnings) console.log(`  warning: ${warning}`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    console.error(`${path}: invalid`);
    for (const issue of issuesOf(error)) console.error(`  error: ${issue}`);
    return 1;
  }
}

const issuesOf = (error: unknown): string[] =>
  error && typeof error === "object" && "issues" in error && Array.isArray(error.issues)
    ? error.issues.map(String)
    : [error instanceof Error ? error.message : String(error)];

function progressLine(event: JobEvent): string | null {
  const d = event.data;
  switch (event.type) {
    case "routine_completed":
      return `  ✓ ${d.routine_id}.${d.slot_name} ${((d.duration as number) * 1000).toFixed(1)} ms`;
    case "routine_failed":
      return `  ✗ ${d.routine_id}.${d.slot_name}: ${d.error} (${d.status})`;
    case "log":
      return `  · ${d.routine_id}: ${d.message}`;
    case "job_started":
    case "job_completed":
    case "job_failed":
    case "job_cancelled":
      return `${event.type.replace("job_", "job ")}${d.error ? `: ${d.error}` : ""}`;
    default:
      return null;
  }
}

async function run(path: string | undefined, entry: string, paramsText: string): Promise<number> {
  const { flow, registry } = await readFlow(path);
  let params: JsonObject;
  try {
    params = JSON.parse(paramsText) as JsonObject;
  } catch {
    throw new UsageError(`--params must be a JSON object, got ${paramsText}`);
  }
  const services = await nodeServices(loadConfig({ ROUTILUX_STORE: "memory" }), registry, {
    store: new MemoryStore(),
    demoFlows: false,
  });
  await services.flows.replace(flow);
  const started = Date.now();
  let events = 0;
  let quiet = 0;
  services.jobs.subscribe((event) => {
    events++;
    const line = progressLine(event);
    // Keep the terminal readable on big jobs: every lifecycle line, but at most 200 routine lines.
    if (line && (event.type.startsWith("job_") || quiet++ < 200)) console.log(line);
  });
  const job = await services.jobs.start({
    flow_id: flow.flow_id,
    entry_routine_id: entry,
    entry_params: params,
  });
  const finished = await services.jobs.liveJob(job.job_id)!.done;
  const state = await services.jobs.state(job.job_id);
  console.log(
    `\nSummary: ${finished.status} in ${((Date.now() - started) / 1000).toFixed(3)} s, ${events} events`,
  );
  for (const [routine_id, s] of Object.entries(state.routine_states)) {
    console.log(`  ${routine_id}: ${s.execution_count} run(s), ${s.status}`);
  }
  if (Object.keys(state.shared_data).length > 0)
    console.log(`Shared data: ${JSON.stringify(state.shared_data)}`);
  await services.close();
  return isFinished(finished.status) && finished.status === "completed" ? 0 : 1;
}

async function openapi(): Promise<void> {
  const config = loadConfig({ ROUTILUX_STORE: "memory" });
  const services = await nodeServices(config, defaultRegistry(), { store: new MemoryStore() });
  const app = createApp({ config, jobs: services.jobs, flows: services.flows, debug: services.debug });
  const response = await app.request("/openapi.json");
  process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
  await services.close();
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      entry: { type: "string", default: "source" },
      params: { type: "string", default: "{}" },
      help: { type: "boolean", short: "h" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  switch (command) {
    case "serve": {
      const env = { ...process.env };
      if (values.port) env.ROUTILUX_PORT = values.port;
      if (values.host) env.ROUTILUX_HOST = values.host;
      await serve(loadConfig(env));
      return -1;
    }
    case "run":
      return run(rest[0], values.entry, values.params);
    case "validate":
      return validate(rest[0]);
    case "openapi":
      await openapi();
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    // -1: a server is running; it exits from its signal handler.
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof ConfigError) {
      console.error(`routilux: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
      return;
    }
    console.error(error);
    process.exitCode = 1;
  },
);
