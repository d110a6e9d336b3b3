import type { DocumentPath } from "./issues.js";

/** A key written twice in one JSON object: where the object is, the key, and the line of its second writing. */
export interface DuplicateKey {
  path: DocumentPath;
  key: string;
  line: number;
}

interface Frame {
  parent: Frame | null;
  /** Where this object or array sits in its parent: a key or an index. */
  at: string | number;
  /** An object's keys so far; null for an array. */
  keys: Set<string> | null;
  /** An array's current index, or the object's key whose value comes next. */
  next: number | string;
}

/**
 * The duplicate keys of JSON text that `JSON.parse` accepted (it keeps the last value of a repeated key without a
 * word). One pass over the characters, linear in the text; strings are skipped with `indexOf`, and a path is
 * only built for a finding. Stops after `max` findings.
 */
export function duplicateJsonKeys(text: string, max = 20): DuplicateKey[] {
  const found: DuplicateKey[] = [];
  let top = null as Frame | null;
  let line = 1;
  let expectKey = false;
  for (let i = 0; i < text.length && found.length < max; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a /* \n */) line++;
    else if (c === 0x7b /* { */) {
      top = { parent: top, at: top?.next ?? "", keys: new Set(), next: "" };
      expectKey = true;
    } else if (c === 0x5b /* [ */) {
      top = { parent: top, at: top?.next ?? "", keys: null, next: 0 };
    } else if (c === 0x7d || c === 0x5d /* } ] */) {
      top = top?.parent ?? null;
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      if (top?.keys) expectKey = true;
      else if (top) top.next = (top.next as number) + 1;
    } else if (c === 0x22 /* " */) {
      const start = i;
      i = closingQuote(text, i);
      if (!expectKey || !top?.keys) continue;
      expectKey = false;
      const raw = text.slice(start + 1, i);
      const key = raw.includes("\\") ? (JSON.parse(`"${raw}"`) as string) : raw;
      if (top.keys.has(key)) found.push({ path: pathOf(top), key, line });
      top.keys.add(key);
      top.next = key;
    }
  }
  return found;
}

/** The index of the quote that ends the string opened at `open` (JSON strings hold no raw newline). */
function closingQuote(text: string, open: number): number {
  let end = text.indexOf('"', open + 1);
  for (;;) {
    let backslashes = 0;
    while (text.charCodeAt(end - 1 - backslashes) === 0x5c /* \ */) backslashes++;
    if (backslashes % 2 === 0 || end < 0) return end < 0 ? text.length : end;
    end = text.indexOf('"', end + 1);
  }
}

function pathOf(frame: Frame): DocumentPath {
  const path: (string | number)[] = [];
  for (let f: Frame | null = frame; f?.parent; f = f.parent) path.push(f.at);
  return path.reverse();
}
