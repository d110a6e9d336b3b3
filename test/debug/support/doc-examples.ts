import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { expect } from "vitest";

/**
 * The runnable parts of a docs page: its `sh` blocks, each with the `json` block that follows it (the reply its
 * last line must print), and its tables marked `<!-- checked: name -->`.
 */

const run = promisify(execFile);

export interface ShellExample {
  /** 1-based, for messages. */
  index: number;
  script: string;
  /** The documented reply: what the last line the block prints parses to. */
  expected?: unknown;
}

export function readDoc(name: string): string {
  return readFileSync(new URL(`../../../docs/${name}`, import.meta.url), "utf8");
}

export function shellExamples(doc: string): ShellExample[] {
  const blocks = [...doc.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, code: m[2]! }));
  const examples: ShellExample[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== "sh") return;
    const next = blocks[i + 1];
    examples.push({
      index: examples.length + 1,
      script: block.code,
      expected: next?.lang === "json" ? JSON.parse(next.code) : undefined,
    });
  });
  return examples;
}

const END = "@@@ end of example @@@";

/** Runs the examples in one shell (so variables carry over), in order; returns what each printed. */
export async function runShellExamples(examples: ShellExample[], url: string): Promise<string[]> {
  const script = [
    "set -euo pipefail",
    ...examples.map((example) => `${example.script}\nprintf '\\n%s\\n' '${END}'`),
  ].join("\n");
  const { stdout } = await run("bash", ["-c", script], {
    env: { ...process.env, ROUTILUX: url },
    timeout: 60_000,
  });
  return stdout.split(`\n${END}\n`).slice(0, examples.length);
}

/** Fields whose values differ from run to run: only their JSON type is compared. */
const VARYING = new Set([
  "job_id",
  "session_id",
  "breakpoint_id",
  "request_id",
  "created_at",
  "started_at",
  "completed_at",
  "timestamp",
  "duration",
]);

function loosen(expected: unknown): unknown {
  if (Array.isArray(expected)) return expected.map(loosen);
  if (expected === null || typeof expected !== "object") return expected;
  return Object.fromEntries(
    Object.entries(expected).map(([key, value]) => {
      if (!VARYING.has(key) || value === null) return [key, loosen(value)];
      return [key, typeof value === "number" ? expect.any(Number) : expect.any(String)];
    }),
  );
}

/** The block's last printed line equals its documented reply, up to the varying fields. */
export function expectDocumentedReply(example: ShellExample, output: string): void {
  if (example.expected === undefined) return;
  const lines = output.split("\n").filter((line) => line.trim() !== "");
  const last = lines.at(-1);
  expect(last, `sh example ${example.index} printed nothing`).toBeDefined();
  expect(JSON.parse(last!), `sh example ${example.index}:\n${example.script}`).toEqual(
    loosen(example.expected),
  );
}

/** The rows of the table under `<!-- checked: name -->`, each cell trimmed. */
export function checkedTable(doc: string, name: string): string[][] {
  const start = doc.indexOf(`<!-- checked: ${name} -->`);
  if (start < 0) throw new Error(`no table '${name}'`);
  const lines = doc.slice(start).split("\n").slice(1);
  const rows: string[][] = [];
  for (const line of lines) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
  }
  return rows.slice(2); // header and separator
}

/** The code spans of a cell: "`a`, `b`" → ["a", "b"]; "—" or "none" → []. */
export const codeSpans = (cell: string): string[] => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);

/** "2, 3, 4" → [2, 3, 4]; "none" → []. */
export const itemList = (cell: string): number[] =>
  cell === "none" ? [] : cell.split(",").map((n) => Number(n));
