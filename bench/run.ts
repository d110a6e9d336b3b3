/**
 * `npm run bench [-- name...]`: runs every bench module it knows and prints one report.
 * Modules other areas add (expr, store, api, ws, debug, persistence) are optional: each is loaded only when its file
 * exists, and exports `bench<Name>()` returning rows (with or without a group).
 */
import { existsSync } from "node:fs";
import { benchEngine } from "./engine.js";
import { printReport, type Row } from "./report.js";

type LooseRow = Omit<Row, "group"> & { group?: string };
type Bench = () => Promise<LooseRow[]> | LooseRow[];

const OPTIONAL = ["expr", "store", "api", "ws", "debug", "persistence"] as const;

/** A module that has not finished by then is reported as failed, so one stuck bench cannot hang the rest. */
const MODULE_DEADLINE_MS = 5 * 60_000;

async function withDeadline<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no result after ${MODULE_DEADLINE_MS / 1000} s`)),
      MODULE_DEADLINE_MS,
    );
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

const capitalised = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

async function loadOptional(name: string): Promise<Bench | null> {
  if (!existsSync(new URL(`./${name}.ts`, import.meta.url))) return null;
  // A computed specifier: these modules may not exist yet, and the type checker must not require them.
  const specifier = `./${name}.js`;
  const module: Record<string, unknown> = await import(specifier);
  const bench = module[`bench${capitalised(name)}`];
  if (typeof bench !== "function")
    throw new Error(`bench/${name}.ts does not export bench${capitalised(name)}()`);
  return bench as Bench;
}

const normalise = (group: string, rows: LooseRow[]): Row[] =>
  rows.map((row) => ({ ...row, group: row.group ?? group }));

async function main(): Promise<void> {
  const only = new Set(process.argv.slice(2));
  const wanted = (name: string) => only.size === 0 || only.has(name);
  const rows: Row[] = [];
  const failures: string[] = [];
  const started = performance.now();

  const run = async (name: string, load: () => Promise<Bench | null>) => {
    if (!wanted(name)) return;
    try {
      const bench = await load();
      if (bench === null) return;
      const moduleStarted = performance.now();
      rows.push(...normalise(name, await withDeadline(Promise.resolve(bench()))));
      console.error(`bench ${name}: ${((performance.now() - moduleStarted) / 1000).toFixed(1)} s`);
    } catch (error) {
      failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  await run("engine", async () => benchEngine);
  for (const name of OPTIONAL) await run(name, () => loadOptional(name));

  console.log(`\nRoutilux benchmarks — Node ${process.version}, ${process.platform}/${process.arch}\n`);
  printReport(rows);
  console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (failures.length > 0) {
    console.error(`\nfailed:\n  ${failures.join("\n  ")}`);
    process.exitCode = 1;
  }
}

await main();
// A bench module may leave a server or worker behind; the report is printed, so end here.
process.exit();
