import { access, readdir, readFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { NotFoundError } from "../core/errors.js";
import type { FlowDefinition } from "../core/flow.js";
import type { RoutineRegistry } from "../core/routine.js";
import { parseAndValidateFlowDsl } from "../dsl/index.js";

/** Flow files: YAML or JSON DSL documents (docs/dsl.md). */
export const FLOW_FILE = /\.(ya?ml|json)$/i;

export type FlowFileResult =
  | { ok: true; file: string; flow: FlowDefinition; warnings: string[] }
  | { ok: false; file: string; errors: string[] };

/** `flows/order-intake.yaml` → `order-intake`: the flow_id of a document that does not name itself. */
export const flowIdOfFile = (file: string): string => basename(file).replace(FLOW_FILE, "");

/** Reads one flow file and validates it against the registry; never throws. */
export async function readFlowFile(file: string, registry: RoutineRegistry): Promise<FlowFileResult> {
  try {
    const text = await readFile(file, "utf8");
    const { flow, warnings } = parseAndValidateFlowDsl(text, registry, {
      now: new Date().toISOString(),
      generateId: () => flowIdOfFile(file),
    });
    return { ok: true, file, flow, warnings };
  } catch (error) {
    return { ok: false, file, errors: issuesOf(error) };
  }
}

/** The flow files directly in `dir`, in name order. */
export async function flowFilesIn(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && FLOW_FILE.test(entry.name))
    .map((entry) => join(dir, entry.name))
    .sort();
}

/** A FlowInvalidError's issues one per line; any other error's message. */
export const issuesOf = (error: unknown): string[] =>
  error && typeof error === "object" && "issues" in error && Array.isArray(error.issues)
    ? error.issues.map(String)
    : [error instanceof Error ? error.message : String(error)];

/** A path as the user would type it: relative to the working directory. */
export const shortName = (path: string): string => relative(process.cwd(), path) || path;

/** Where the flows go: the server's flow service. */
export interface FlowSink {
  replace(flow: FlowDefinition): Promise<void>;
  delete(flow_id: string): Promise<void>;
}

export interface Reporter {
  info(line: string): void;
  error(line: string): void;
}

/**
 * The flows of one directory, served: every valid file is in the flow service, an invalid one is reported with
 * its reasons and skipped. `sync(file)` after a change replaces (or, for a deleted file, removes) that file's flow.
 * Replacing never touches a running job: it keeps the definition it started with.
 */
export class FlowDirectory {
  readonly #dir: string;
  readonly #registry: RoutineRegistry;
  readonly #flows: FlowSink;
  readonly #report: Reporter;
  /** File → the flow_id it serves. */
  readonly #served = new Map<string, string>();

  constructor(dir: string, registry: RoutineRegistry, flows: FlowSink, report: Reporter) {
    this.#dir = dir;
    this.#registry = registry;
    this.#flows = flows;
    this.#report = report;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Loads every flow file (again, after routine types changed); returns how many serve and how many not. */
  async loadAll(): Promise<{ served: number; skipped: number }> {
    const files = await flowFilesIn(this.#dir);
    let served = 0;
    for (const file of files) if (await this.#load(file)) served++;
    return { served, skipped: files.length - served };
  }

  /** Brings one file's flow up to date after a change; the file may have been deleted. */
  async sync(file: string): Promise<void> {
    const exists = await access(file).then(
      () => true,
      () => false,
    );
    if (exists) {
      await this.#load(file);
      return;
    }
    const flow_id = this.#served.get(file);
    if (flow_id === undefined) return;
    this.#served.delete(file);
    await this.#forget(flow_id);
    this.#report.info(`removed flow '${flow_id}' (${shortName(file)} was deleted)`);
  }

  async #load(file: string): Promise<boolean> {
    const result = await readFlowFile(file, this.#registry);
    const previous = this.#served.get(file);
    if (!result.ok) {
      const kept = previous === undefined ? "skipped" : `flow '${previous}' keeps its previous version`;
      this.#report.error(`${shortName(file)}: invalid, ${kept}`);
      for (const issue of result.errors) this.#report.error(`  error: ${issue}`);
      return previous !== undefined;
    }
    const { flow } = result;
    const owner = [...this.#served].find(([other, id]) => id === flow.flow_id && other !== file)?.[0];
    if (owner !== undefined) {
      this.#report.error(
        `${shortName(file)}: skipped, flow_id '${flow.flow_id}' is already served from ${shortName(owner)}`,
      );
      return previous !== undefined;
    }
    await this.#flows.replace(flow);
    if (previous !== undefined && previous !== flow.flow_id) {
      await this.#forget(previous);
      this.#report.info(`removed flow '${previous}' (${shortName(file)} now defines '${flow.flow_id}')`);
    }
    this.#served.set(file, flow.flow_id);
    const verb = previous === undefined ? "loaded" : "reloaded";
    this.#report.info(`${verb} flow '${flow.flow_id}' from ${shortName(file)}`);
    for (const warning of result.warnings) this.#report.info(`  warning: ${warning}`);
    return true;
  }

  /** Removes a flow this directory served; one already gone (deleted through the API) is no error. */
  async #forget(flow_id: string): Promise<void> {
    await this.#flows.delete(flow_id).catch((error: unknown) => {
      if (!(error instanceof NotFoundError)) throw error;
    });
  }
}
