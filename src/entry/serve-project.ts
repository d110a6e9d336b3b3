import { statSync } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, dirname, resolve } from "node:path";
import type { Config } from "../config.js";
import { defaultRegistry } from "../routines/index.js";
import { FLOW_FILE, FlowDirectory, type Reporter, shortName } from "./flow-directory.js";
import { isRoutineModuleName, type RoutineModule, routineFiles } from "./load-user-code.js";
import { startLocalServer } from "./local-server.js";
import { nodeOutbound } from "./node-outbound.js";
import { nodeServices } from "./node-services.js";
import { UsageError } from "./usage-error.js";
import { UserRoutines } from "./user-routines.js";
import { type DirectoryWatch, watchDirectory } from "./watch.js";

export interface ServeOptions {
  config: Config;
  /** `--routines`: module files or directories of them. */
  routines: readonly string[];
  /** `--flows`: a directory of flow files; without it the demo flows are served. */
  flows?: string;
  watch: boolean;
  report: Reporter;
}

export interface ServingProject {
  url: string;
  close(): Promise<void>;
}

const SWEEP_INTERVAL_MS = 60_000;

/** `routilux serve`: the user's routines and flows (or the demo flows) behind the API, until `close()`. */
export async function serveProject(options: ServeOptions): Promise<ServingProject> {
  const { config, report } = options;
  const registry = defaultRegistry({ outbound: nodeOutbound(config) });
  const routines = new UserRoutines(registry);
  for (const module of await routines.load(await routineFiles(options.routines))) reportTypes(module, report);

  const flowsDir = options.flows === undefined ? undefined : await requireDirectory(options.flows);
  const services = await nodeServices(config, registry, { demoFlows: flowsDir === undefined });
  if (services.interrupted > 0)
    report.info(`${services.interrupted} job(s) interrupted by the last shutdown were marked failed`);
  const directory =
    flowsDir === undefined ? undefined : new FlowDirectory(flowsDir, registry, services.flows, report);
  if (directory) {
    const { served, skipped } = await directory.loadAll();
    report.info(
      `${served} flow(s) served from ${shortName(directory.dir)}${skipped ? `, ${skipped} skipped` : ""}`,
    );
  }

  const server = await startLocalServer({
    config,
    jobs: services.jobs,
    flows: services.flows,
    debug: services.debug,
    registry,
  }).catch(async (error: unknown) => {
    // The store's file (and its checkpoint thread) must not keep a process that cannot serve alive.
    await services.close();
    throw error;
  });
  const watches: DirectoryWatch[] = [];
  if (options.watch) {
    if (directory) watches.push(watchFlows(directory, report));
    watches.push(...watchRoutines(options.routines, routines, directory, report));
  }
  const sweeper = setInterval(
    () => void services.sweep().catch((error) => report.error(`retention sweep failed: ${error}`)),
    SWEEP_INTERVAL_MS,
  );
  sweeper.unref();

  return {
    url: server.url,
    async close() {
      clearInterval(sweeper);
      for (const watch of watches) watch.close();
      await server.close();
      await services.close();
    },
  };
}

function watchFlows(directory: FlowDirectory, report: Reporter): DirectoryWatch {
  report.info(`watching ${shortName(directory.dir)} for flow changes`);
  return watchDirectory(
    directory.dir,
    (name) => FLOW_FILE.test(name),
    (file) => directory.sync(file),
    {
      onError: (error) => report.error(`watching ${shortName(directory.dir)}: ${error}`),
    },
  );
}

/**
 * A changed routine module is imported again and its types replace the old ones; then every flow is loaded
 * again, because compiled flows hold the routine types they were compiled with. Running jobs keep theirs.
 */
function watchRoutines(
  paths: readonly string[],
  routines: UserRoutines,
  directory: FlowDirectory | undefined,
  report: Reporter,
): DirectoryWatch[] {
  const reload = async (file: string) => {
    if (!(await stat(file).catch(() => null))) {
      report.info(`${shortName(file)} was deleted; its routine types stay registered until restart`);
      return;
    }
    try {
      reportTypes(await routines.reload(file), report, "reloaded");
    } catch (error) {
      report.error(
        `${error instanceof Error ? error.message : error}; the previous version stays in service`,
      );
      return;
    }
    await directory?.loadAll();
  };
  return paths.map((path) => {
    const absolute = resolve(path);
    report.info(`watching ${shortName(absolute)} for routine changes`);
    // A file is watched through its directory (see watchDirectory), filtered to its own name.
    return statSync(absolute).isDirectory()
      ? watchDirectory(absolute, isRoutineModuleName, reload)
      : watchDirectory(dirname(absolute), (name) => name === basename(absolute), reload);
  });
}

function reportTypes(module: RoutineModule, report: Reporter, verb = "loaded"): void {
  const names = module.types.map((type) => type.name).join(", ");
  report.info(
    names
      ? `${verb} routines ${names} from ${shortName(module.file)}`
      : `${shortName(module.file)} exports no routine type`,
  );
}

async function requireDirectory(path: string): Promise<string> {
  const absolute = resolve(path);
  const info = await stat(absolute).catch(() => null);
  if (!info?.isDirectory()) throw new UsageError(`--flows ${path}: not a directory`);
  return absolute;
}
