/**
 * One bench group in a process of its own (`bench/run.ts` forks this file per group): no group measures on a heap,
 * a JIT state or a thread pool left behind by the groups before it. Sends its rows to the parent, or prints them
 * when run by hand, as under Bun: `npx bun bench/group.ts persistence`.
 */
import { pathToFileURL } from "node:url";
import { printReport, type Row } from "./report.js";

type LooseRow = Omit<Row, "group"> & { group?: string };

const capitalised = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

const name = process.argv[2] ?? "";
const module: Record<string, unknown> = await import(pathToFileURL(`${import.meta.dirname}/${name}.ts`).href);
const bench = module[`bench${capitalised(name)}`];
if (typeof bench !== "function")
  throw new Error(`bench/${name}.ts does not export bench${capitalised(name)}()`);
const rows = ((await bench()) as LooseRow[]).map((row) => ({ ...row, group: row.group ?? name }));
if (process.send) {
  process.send(rows);
  process.disconnect();
} else {
  const runtime = "Bun" in globalThis ? `Bun ${process.versions.bun}` : `Node ${process.version}`;
  console.log(`Routilux benchmarks — ${runtime}, ${process.platform}/${process.arch}\n`);
  printReport(rows);
}
// A bench module may leave a server or worker behind; its rows are out, so end here.
process.exit();
