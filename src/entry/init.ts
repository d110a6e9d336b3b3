import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { packageVersion } from "./local-runtime.js";
import { UsageError } from "./usage-error.js";

/** templates/project, shipped in the package next to dist/ (this file is dist/entry/init.js, or src/entry/init.ts). */
const TEMPLATE = fileURLToPath(new URL("../../templates/project/", import.meta.url));

/** npm leaves `.gitignore` out of packages, so the template stores it without the dot. */
const RENAMED: Record<string, string> = { gitignore: ".gitignore" };

/** Entries a fresh `git init` or an editor leaves in a directory that is still "empty" for our purposes. */
const IGNORABLE = new Set([".git", ".DS_Store", ".idea", ".vscode"]);

/** `routilux init [dir]`: a project with one routine, one flow, a test and a README. Returns the files made. */
export async function initProject(dir: string, print: (line: string) => void): Promise<string[]> {
  const target = resolve(dir);
  await requireEmpty(target, dir);
  const values = {
    "{{project_name}}": packageName(basename(target)),
    "{{routilux_version}}": packageVersion(),
  };
  const created: string[] = [];
  for (const source of await templateFiles()) {
    const name = relative(TEMPLATE, source);
    const destination = join(target, dirname(name), RENAMED[basename(name)] ?? basename(name));
    let text = await readFile(source, "utf8");
    for (const [placeholder, value] of Object.entries(values)) text = text.replaceAll(placeholder, value);
    await mkdir(dirname(destination), { recursive: true });
    await writeFile(destination, text);
    created.push(relative(target, destination));
  }
  created.sort();
  const shown = relative(process.cwd(), target) || ".";
  print(`Created a Routilux project in ${shown}:`);
  for (const file of created) print(`  ${file}`);
  print("\nNext:");
  if (shown !== ".") print(`  cd ${shown}`);
  print("  npm install");
  print("  npm test          # runs the hello flow with your Greet routine");
  print("  npm run dev       # serves it on http://127.0.0.1:20555 and reloads what you change");
  return created;
}

async function templateFiles(): Promise<string[]> {
  const entries = await readdir(TEMPLATE, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
}

async function requireEmpty(target: string, shown: string): Promise<void> {
  const info = await stat(target).catch(() => null);
  if (!info) return;
  if (!info.isDirectory()) throw new UsageError(`${shown} exists and is not a directory`);
  const present = (await readdir(target)).filter((name) => !IGNORABLE.has(name));
  if (present.length === 0) return;
  const listed = present.slice(0, 3).join(", ") + (present.length > 3 ? ", …" : "");
  throw new UsageError(`${shown} is not empty (${listed}); choose a new directory: routilux init <dir>`);
}

/** A directory name as an npm package name: lower case, letters, digits, `-`, `_` and `.`. */
function packageName(name: string): string {
  const cleaned = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/^[._-]+|-+$/g, "");
  return cleaned || "routilux-project";
}
