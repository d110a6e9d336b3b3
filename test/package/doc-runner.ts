import { execFile } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

/**
 * Runs a docs page as a reader would: its `sh` blocks in order, in one shell (so `cd` and variables carry over).
 * Two markers on the line before a block:
 * - `<!-- background: <text> -->` on an `sh` block starts it in the background (a server the reader leaves
 *   running in a terminal of its own) and goes on once its output contains `<text>`; it is stopped at the end.
 * - `<!-- file: <name> -->` on any block writes the block to `<name>` at that point (a file the reader saves).
 */

const run = promisify(execFile);

export interface DocBlock {
  lang: string;
  code: string;
  background?: string;
  file?: string;
}

export interface ShellStep {
  /** 1-based among the `sh` blocks, for messages. */
  index: number;
  script: string;
  /** The `json` block right after it: what the last line it prints must parse to. */
  expected?: unknown;
  background?: string;
}

export function docBlocks(doc: string): DocBlock[] {
  return [...doc.matchAll(/(?:<!-- (background|file): (.+?) -->\n)?```(\w*)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[3]!,
    code: m[4]!,
    ...(m[1] === "background" ? { background: m[2]! } : {}),
    ...(m[1] === "file" ? { file: m[2]! } : {}),
  }));
}

const END = "@@@ end of step @@@";

/**
 * Runs the page's `sh` blocks (after `rewrite`, the test's substitutions) and writes its `file:` blocks, in
 * document order. Returns each `sh` step with what it printed, and the background process's output.
 */
export async function runDoc(
  doc: string,
  options: {
    cwd: string;
    env: Record<string, string>;
    rewrite?: (script: string) => string;
    timeoutMs: number;
  },
): Promise<{ steps: (ShellStep & { output: string })[]; background: string }> {
  const blocks = docBlocks(doc);
  const steps: ShellStep[] = [];
  const parts = [
    "set -euo pipefail",
    "set -m", // background steps get a process group of their own, so the whole group can be stopped
    `background_log=${shellQuote(join(tmpdir(), `routilux-doc-background-${process.pid}-${Date.now()}.log`))}`,
    ': > "$background_log"',
    'background_pid=""',
    'trap \'[ -n "$background_pid" ] && kill -- -"$background_pid" 2>/dev/null; true\' EXIT',
  ];
  blocks.forEach((block, i) => {
    if (block.file) {
      parts.push(`cat > ${JSON.stringify(block.file)} <<'ROUTILUX_DOC_FILE'\n${block.code}ROUTILUX_DOC_FILE`);
      return;
    }
    if (block.lang !== "sh") return;
    const script = options.rewrite ? options.rewrite(block.code) : block.code;
    const next = blocks[i + 1];
    steps.push({
      index: steps.length + 1,
      script,
      expected: next?.lang === "json" ? JSON.parse(next.code) : undefined,
      background: block.background,
    });
    if (block.background) {
      parts.push(
        `( ${script.trim()} ) > "$background_log" 2>&1 &`,
        "background_pid=$!",
        `for _ in $(seq 600); do grep -q ${shellQuote(block.background)} "$background_log" && break; ` +
          'kill -0 "$background_pid" 2>/dev/null || { cat "$background_log"; exit 1; }; sleep 0.1; done',
        `grep -q ${shellQuote(block.background)} "$background_log"`,
      );
    } else {
      parts.push(script);
    }
    parts.push(`printf '\\n%s\\n' '${END}'`);
  });
  // Everything after the last step's marker is the background process's output.
  parts.push('cat "$background_log"', 'rm -f "$background_log"');

  const { stdout } = await run("bash", ["-c", parts.join("\n")], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    timeout: options.timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string; message: string }) => {
    throw new Error(`${error.message}\n--- stdout ---\n${error.stdout}\n--- stderr ---\n${error.stderr}`);
  });
  const outputs = stdout.split(`\n${END}\n`);
  return {
    steps: steps.map((step, i) => ({ ...step, output: outputs[i] ?? "" })),
    background: outputs[steps.length] ?? "",
  };
}

const shellQuote = (text: string): string => `'${text.replaceAll("'", "'\\''")}'`;
