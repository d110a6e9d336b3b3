/**
 * One bench group in a process of its own (`bench/run.ts` forks this file per group): no group measures on a heap,
 * a JIT state or a thread pool left behind by the groups before it. Sends its rows to the parent.
 */
import { pathToFileURL } from "node:url";
import type { Row } from "./report.js";

type LooseRow = Omit<Row, "group"> & { group?: string };

const capitalised = (name: string): string => name[0]!.toUpperCase() + name.slice(1);

const name = process.argv[2] ?? "";
const module: Record<string, unknown> = await import(pathToFileURL(`${import.meta.dirname}/${name}.ts`).href);
const bench = module[`bench${capitalised(name)}`];
if (typeof bench !== "function")
  throw new Error(`bench/${name}.ts does not export bench${capitalised(name)}()`);
const rows = (await bench()) as LooseRow[];
process.send!(rows.map((row) => ({ ...row, group: row.group ?? name })));
// A bench module may leave a server or worker behind; its rows are sent, so end here.
process.disconnect();
process.exit();
