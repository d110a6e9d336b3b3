import { isMap, isScalar, LineCounter, parseDocument, visit, type YAMLError } from "yaml";
import { FlowInvalidError } from "../core/errors.js";
import { type DocumentPath, describeIssue } from "./issues.js";
import { duplicateJsonKeys } from "./json-duplicates.js";

/**
 * Reading untrusted DSL text into plain JSON data, with bounds: a DSL document arrives over HTTP from anyone
 * holding an API key, so size, nesting, alias expansion and value types are all checked before zod sees it.
 */

export interface DslLimits {
  /** Longest text accepted, in characters. Default 1 MiB, the API's body limit. */
  maxLength: number;
  /** Deepest nesting of mappings and sequences. */
  maxDepth: number;
  /** Most values (scalars, mappings, sequences) in one document. */
  maxValues: number;
  /** yaml's weighted alias budget; what stops a "billion laughs" document. */
  maxAliasCount: number;
}

export const DEFAULT_DSL_LIMITS: Readonly<DslLimits> = Object.freeze({
  maxLength: 1024 * 1024,
  maxDepth: 64,
  maxValues: 1_000_000,
  maxAliasCount: 100,
});

/** More than this many issues of one document say nothing new. */
const MAX_ISSUES = 20;

/** Parses YAML or JSON text into a plain JSON mapping, or throws FlowInvalidError. */
export function readDslText(text: string, limits: DslLimits): Record<string, unknown> {
  if (text.length > limits.maxLength) {
    throw new FlowInvalidError([
      `DSL document is too large: ${text.length} characters (at most ${limits.maxLength})`,
    ]);
  }
  // The YAML parser recurses per level of [ { nesting and overflows the stack a few hundred levels down,
  // slowly; refuse such text before parsing. The exact depth rule is enforced on the parsed value.
  if (flowNestingDepth(text) > limits.maxDepth * 4) throw nestedTooDeeply(limits);
  return requireDslDocument(
    looksLikeJson(text) ? (tryJson(text) ?? readYaml(text, limits)) : readYaml(text, limits),
    limits,
  );
}

/** Checks an already-parsed document (e.g. the API's `dsl_dict`) with the same rules as parsed text. */
export function requireDslDocument(value: unknown, limits: DslLimits): Record<string, unknown> {
  if (value === null || value === undefined) throw new FlowInvalidError(["DSL document is empty"]);
  if (!isPlainObject(value)) {
    throw new FlowInvalidError([`DSL document must be a mapping (an object), not ${kindOf(value)}`]);
  }
  const issues = jsonIssues(value, limits);
  if (issues.length > 0) throw new FlowInvalidError(issues);
  return value;
}

const looksLikeJson = (text: string): boolean => /^\s*\{/.test(text);

/** JSON is a subset of YAML, but JSON.parse reads it ~100x faster; YAML flow style (`{a: b}`) falls through. */
function tryJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  rejectDuplicateKeys(text);
  return value;
}

/**
 * A key written twice in one object is an error, as YAML makes it: `JSON.parse` would keep the last value
 * silently, and a flow would run other than it reads. `under` names where the document sits in `text`
 * (`["dsl_dict"]` in a request body); duplicates elsewhere in `text` are not the document's.
 */
export function rejectDuplicateKeys(text: string, under: DocumentPath = []): void {
  const issues = duplicateJsonKeys(text)
    .filter(({ path }) => under.every((key, i) => path[i] === key))
    .map(({ path, key, line }) =>
      describeIssue(path.slice(under.length), `duplicate key ${JSON.stringify(key)} at line ${line}`),
    );
  if (issues.length > 0) throw new FlowInvalidError(issues);
}

function readYaml(text: string, limits: DslLimits): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    // YAML 1.2 core schema only: no 1.1 timestamps, binaries, sets or merge keys, and no custom tags, so the
    // result is JSON data; an unknown tag is a warning, which we treat as an error.
    version: "1.2",
    schema: "core",
    merge: false,
    resolveKnownTags: false,
    // yaml's own unique-key check compares every key with every other (quadratic); duplicateKeys() is linear.
    uniqueKeys: false,
    prettyErrors: true,
    lineCounter,
  });
  const problems: YAMLError[] = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) throw new FlowInvalidError(problems.slice(0, MAX_ISSUES).map(yamlIssue));
  const duplicates = duplicateKeys(doc, lineCounter);
  if (duplicates.length > 0) throw new FlowInvalidError(duplicates.slice(0, MAX_ISSUES));
  try {
    return doc.toJS({ maxAliasCount: limits.maxAliasCount });
  } catch (error) {
    if (error instanceof RangeError) throw nestedTooDeeply(limits);
    // yaml throws a ReferenceError when expanding aliases would exceed the budget.
    throw new FlowInvalidError([`YAML: ${error instanceof Error ? error.message : String(error)}`]);
  }
}

/** yaml's pretty messages end with a multi-line excerpt; the first line already says what and where. */
function yamlIssue(error: YAMLError): string {
  const firstLine = error.message.split("\n", 1)[0]!.replace(/:$/, "");
  return `YAML: ${firstLine}`;
}

function duplicateKeys(doc: ReturnType<typeof parseDocument>, lineCounter: LineCounter): string[] {
  const issues: string[] = [];
  visit(doc, {
    Map(_, map) {
      if (!isMap(map)) return;
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (seen.has(key)) {
          const offset = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
          const at = offset === undefined ? "" : ` at line ${lineCounter.linePos(offset).line}`;
          issues.push(`YAML: duplicate key '${key}'${at}`);
        }
        seen.add(key);
      }
    },
  });
  return issues;
}

/** Deepest [ { nesting outside quoted strings and comments; a cheap guard, not a YAML parser. */
function flowNestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x27 /* ' */) {
      i = text.indexOf("'", i + 1);
      if (i < 0) break;
    } else if (c === 0x23 /* # */) {
      i = text.indexOf("\n", i);
      if (i < 0) break;
    } else if (c === 0x5b || c === 0x7b /* [ { */) {
      if (++depth > deepest) deepest = depth;
    } else if ((c === 0x5d || c === 0x7d) /* ] } */ && depth > 0) {
      depth--;
    }
  }
  return deepest;
}

const nestedTooDeeply = (limits: DslLimits): FlowInvalidError =>
  new FlowInvalidError([`DSL document is nested too deeply (at most ${limits.maxDepth} levels)`]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "a sequence (array)";
  if (value === null || value === undefined) return String(value);
  if (typeof value === "object") return `a ${value.constructor?.name ?? "non-plain"} object`;
  return `a ${typeof value}`;
}

/**
 * Only JSON data may pass: plain objects, arrays, strings, finite numbers, booleans, null. The walk is
 * iterative and counts values, so a cyclic or hugely shared object (possible when called from code) ends
 * at the depth or value bound instead of recursing forever. `__proto__` keys are refused outright: copying
 * one with `obj[key] = value` anywhere downstream would swap that object's prototype.
 */
function jsonIssues(root: unknown, limits: DslLimits): string[] {
  const issues: string[] = [];
  const stack: { value: unknown; path: DocumentPath }[] = [{ value: root, path: [] }];
  let values = 0;
  while (stack.length > 0 && issues.length < MAX_ISSUES) {
    const { value, path } = stack.pop()!;
    if (++values > limits.maxValues) return [`DSL document has more than ${limits.maxValues} values`];
    if (path.length > limits.maxDepth) return [nestedTooDeeply(limits).issues[0]!];
    if (value === null || typeof value === "string" || typeof value === "boolean") continue;
    if (typeof value === "number") {
      if (!Number.isFinite(value)) issues.push(describeIssue(path, `${value} is not a JSON number`));
      continue;
    }
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: [...path, i] });
      continue;
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i]!;
        if (key === "__proto__") issues.push(describeIssue(path, "the key '__proto__' is not allowed"));
        else stack.push({ value: value[key], path: [...path, key] });
      }
      continue;
    }
    // undefined inside an object is "absent" to JSON; anywhere else (functions, dates, maps) it is not data.
    if (value === undefined && typeof path.at(-1) === "string") continue;
    issues.push(describeIssue(path, `${kindOf(value)} is not JSON data`));
  }
  return issues;
}
