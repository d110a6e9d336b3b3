/**
 * `npm run bench [-- group...]`: runs each bench group (all, or those named) and prints one report. Each group runs
 * in a process of its own (`bench/group.ts`), one after the other, so that none measures on what another left
 * behind: after the job-list groups' 100 000 jobs, for one, the collector's pauses made side-by-side job timings
 * swing by ±50 %.
 */
import { fork } from "node:child_process";
import { printReport, type Row } from "./report.js";

const GROUPS = ["engine", "expr", "store", "api", "ws", "debug", "persistence"] as const;

/** A group that has not finished by then is reported as failed, so one stuck bench cannot hang the rest. */
const GROUP_DEADLINE_MS = 5 * 60_000;

function runGroup(name: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    // The parent's execArgv comes along: it carries tsx's loader.
    const child = fork(new URL("./group.ts", import.meta.url), [name]);
    let rows: Row[] | null = null;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no result after ${GROUP_DEADLINE_MS / 1000} s`));
    }, GROUP_DEADLINE_MS);
    child.on("message", (message) => {
      rows = message as Row[];
    });
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (rows) resolve(rows);
      else reject(new Error(`exited (${signal ?? code}) without a result`));
    });
  });
}

const only = new Set(process.argv.slice(2));
const unknown = [...only].filter((name) => !(GROUPS as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`unknown bench group: ${unknown.join(", ")} (groups: ${GROUPS.join(", ")})`);
  process.exit(2);
}
const rows: Row[] = [];
const failures: string[] = [];
const started = performance.now();
for (const name of GROUPS) {
  if (only.size > 0 && !only.has(name)) continue;
  const groupStarted = performance.now();
  try {
    rows.push(...(await runGroup(name)));
    console.error(`bench ${name}: ${((performance.now() - groupStarted) / 1000).toFixed(1)} s`);
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
console.log(`\nRoutilux benchmarks — Node ${process.version}, ${process.platform}/${process.arch}\n`);
printReport(rows);
console.log(`\ntotal ${((performance.now() - started) / 1000).toFixed(1)} s`);
if (failures.length > 0) {
  console.error(`\nfailed:\n  ${failures.join("\n  ")}`);
  process.exitCode = 1;
}
