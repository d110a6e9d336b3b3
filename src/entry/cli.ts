import { stat } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfig } from "../config.js";
import type { JsonObject } from "../core/types.js";
import { defaultRegistry } from "../routines/index.js";
import type { Outbound } from "../routines/outbound/outbound-fetch.js";
import { createRoutilux } from "./create-routilux.js";
import {
  type FlowFileResult,
  flowFilesIn,
  type Reporter,
  readFlowFile,
  shortName,
} from "./flow-directory.js";
import { initProject } from "./init.js";
import { routineFiles } from "./load-user-code.js";
import { packageVersion } from "./local-runtime.js";
import { nodeOutbound } from "./node-outbound.js";
import { runInTerminal } from "./run-in-terminal.js";
import { serveProject } from "./serve-project.js";
import { startupFailureLine } from "./startup-error.js";
import { UsageError } from "./usage-error.js";
import { UserRoutines } from "./user-routines.js";

const USAGE = `Usage: routilux <command> [options]

Commands:
  serve                          Start the API server (embedded SQLite by default; ROUTILUX_STORE=memory for none)
      --routines <file|dir>      Load your routine modules (repeatable; TypeScript works)
      --flows <dir>              Serve every *.yaml, *.yml and *.json flow in <dir> (else the demo flows)
      --watch                    Reload changed flow files and routine modules while serving
      --port <n>  --host <h>     Override ROUTILUX_PORT / ROUTILUX_HOST
  run <flow-file>                Run one job of a flow in the terminal and print a summary
      --routines <file|dir>      Load your routine modules first
      --entry <routine_id>       Entry routine (default: the one routine without incoming connections)
      --params '<json>'          Entry params (default: {})
  validate <flow-file|dir>...    Check flow files; exit 1 if any is invalid
      --routines <file|dir>      Load your routine modules first
  openapi                        Print the OpenAPI document (routilux openapi > openapi.json)
  init [dir]                     Create a project: a routine, a flow, a test, a README (default: .)

Routine modules: every export (default or named) that is a routine type, a Routine subclass, or an array of
them is registered. Flow ids default to the file name. See docs/getting-started.md.
`;

const stdout: Reporter = {
  info: (line) => console.log(line),
  error: (line) => console.error(line),
};

/** The built-ins, the demo routines and the user's `--routines`; `HttpFetch` under `outbound` when given. */
async function registryWith(routines: readonly string[], outbound?: Outbound) {
  const registry = defaultRegistry({ outbound });
  await new UserRoutines(registry).load(await routineFiles(routines));
  return registry;
}

/** Flow files named on the command line: files as given, directories expanded to their flow files. */
async function flowFilesOf(paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) throw new UsageError("missing <flow-file>");
  const files: string[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => null);
    if (!info) throw new UsageError(`${path}: no such file or directory`);
    files.push(...(info.isDirectory() ? await flowFilesIn(path) : [path]));
  }
  if (files.length === 0)
    throw new UsageError(`no *.yaml, *.yml or *.json flow files in ${paths.join(", ")}`);
  return files;
}

function printResult(result: FlowFileResult): void {
  if (result.ok) {
    console.log(`${shortName(result.file)}: flow '${result.flow.flow_id}' is valid`);
    for (const warning of result.warnings) console.log(`  warning: ${warning}`);
    return;
  }
  console.error(`${shortName(result.file)}: invalid`);
  for (const issue of result.errors) console.error(`  error: ${issue}`);
}

async function validate(paths: readonly string[], routines: readonly string[]): Promise<number> {
  const files = await flowFilesOf(paths);
  const registry = await registryWith(routines);
  let invalid = 0;
  for (const file of files) {
    const result = await readFlowFile(file, registry);
    printResult(result);
    if (!result.ok) invalid++;
  }
  return invalid === 0 ? 0 : 1;
}

async function run(
  path: string | undefined,
  options: { routines: readonly string[]; entry?: string; params: string },
): Promise<number> {
  if (!path) throw new UsageError("missing <flow-file>");
  const [file] = await flowFilesOf([path]);
  let params: JsonObject;
  try {
    params = JSON.parse(options.params) as JsonObject;
  } catch {
    throw new UsageError(`--params must be a JSON object, got ${options.params}`);
  }
  if (typeof params !== "object" || params === null || Array.isArray(params))
    throw new UsageError(`--params must be a JSON object, got ${options.params}`);
  // The job runs here, so HttpFetch obeys ROUTILUX_FETCH_* as it does under `serve`.
  const registry = await registryWith(options.routines, nodeOutbound(loadConfig(process.env)));
  const result = await readFlowFile(file!, registry);
  if (!result.ok) {
    printResult(result);
    return 1;
  }
  return runInTerminal({ flow: result.flow, registry, entry: options.entry, params, print: console.log });
}

async function openapi(): Promise<void> {
  const routilux = await createRoutilux({ demo: true, app: { version: packageVersion() } });
  const response = await routilux.app.request("/openapi.json");
  process.stdout.write(`${JSON.stringify(await response.json(), null, 2)}\n`);
  await routilux.close();
}

async function serve(options: {
  port?: string;
  host?: string;
  routines: readonly string[];
  flows?: string;
  watch: boolean;
}): Promise<void> {
  const env = { ...process.env };
  if (options.port) env.ROUTILUX_PORT = options.port;
  if (options.host) env.ROUTILUX_HOST = options.host;
  const config = loadConfig(env);
  const project = await serveProject({ ...options, config, report: stdout });
  console.log(`Routilux listening on ${project.url}`);
  console.log(`API docs: ${project.url}/docs`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: shutting down`);
    await project.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

/** Runs one command; returns its exit code, or -1 when a server keeps running (it exits on a signal). */
async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      routines: { type: "string", multiple: true, default: [] },
      flows: { type: "string" },
      watch: { type: "boolean", default: false },
      entry: { type: "string" },
      params: { type: "string", default: "{}" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean", short: "v" },
    },
  });
  const [command, ...rest] = positionals;
  if (values.version) {
    console.log(packageVersion());
    return 0;
  }
  if (values.help || !command) {
    console.log(USAGE);
    return command || values.help ? 0 : 1;
  }
  switch (command) {
    case "serve":
      await serve(values);
      return -1;
    case "run":
      return run(rest[0], values);
    case "validate":
      return validate(rest, values.routines);
    case "openapi":
      await openapi();
      return 0;
    case "init":
      await initProject(rest[0] ?? ".", console.log);
      return 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

/** `parseArgs` rejects unknown options with a TypeError carrying one of these codes. */
const isParseArgsError = (error: unknown): boolean =>
  typeof (error as { code?: unknown })?.code === "string" &&
  (error as { code: string }).code.startsWith("ERR_PARSE_ARGS_");

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof UsageError || isParseArgsError(error)) {
      console.error(`routilux: ${(error as Error).message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else {
      console.error(startupFailureLine(error) ?? error);
      process.exitCode = 1;
    }
  },
);
