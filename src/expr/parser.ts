/**
 * Parses expression source into a syntax tree, with the grammar of docs/expressions.md.
 *
 * jsep does the tokenising (numbers, names, member chains, calls, arrays); a subclass owns the rules
 * that differ from JavaScript or from jsep's defaults: word operators (`and`, `not in`, `is not`),
 * the precedence of `not`, `??` and signs, string escapes, one expression only (no `;` or `,`
 * sequences), no `this`, bounded nesting, and error messages that say where ("at character 7").
 */
import { ExpressionError } from "./errors.js";
import {
  BINARY_PRECEDENCE,
  NOT_PRECEDENCE,
  OPERATOR_WORDS,
  RIGHT_ASSOCIATIVE,
  UNSUPPORTED_WORDS,
  WORD_PAIRS,
} from "./grammar.js";
import { Jsep, type ParsedNode, withOurConfiguration } from "./jsep-isolation.js";
import { MAX_DEPTH, MAX_SOURCE_BYTES } from "./limits.js";

export type { ParsedNode } from "./jsep-isolation.js";

const TAB = 9;
const LF = 10;
const CR = 13;
const SPACE = 32;
const OPAREN = 40;
const CPAREN = 41;
const PLUS = 43;
const COMMA = 44;
const MINUS = 45;
const PERIOD = 46;
const COLON = 58;
const QUMARK = 63;
const OBRACK = 91;
const BACKSLASH = 92;
const CBRACK = 93;

/**
 * Height of the subtree at `node`, counted as the interpreter counts depth (a member key written as a
 * name is not a node of its own). Memoised on the node; nodes are measured as they are built, so the
 * children of a new node are already measured and this does not recurse far.
 */
function heightOf(node: ParsedNode): number {
  if (node.height !== undefined) return node.height;
  let children: unknown[] = [];
  switch (node.type) {
    case "BinaryExpression":
      children = [node.left, node.right];
      break;
    case "UnaryExpression":
      children = [node.argument];
      break;
    case "ConditionalExpression":
      children = [node.test, node.consequent, node.alternate];
      break;
    case "MemberExpression":
      children = node.computed ? [node.object, node.property] : [node.object];
      break;
    case "CallExpression":
      children = node.arguments as unknown[];
      break;
    case "ArrayExpression":
      children = node.elements as unknown[];
      break;
  }
  let tallest = 0;
  for (const child of children) {
    if (child !== null && typeof child === "object")
      tallest = Math.max(tallest, heightOf(child as ParsedNode));
  }
  node.height = tallest + 1;
  return node.height;
}

const isSpace = (code: number) => code === SPACE || code === TAB || code === LF || code === CR;
const isHexDigit = (char: string) => /^[0-9a-fA-F]$/.test(char);

/** jsep's parser with our grammar. Every error goes through `fail`, so each message ends "at character N". */
class ExpressionParser extends Jsep {
  private nesting = 0;

  override parse(): ParsedNode {
    this.gobbleSpaces();
    if (this.index >= this.expr.length) this.fail("Empty expression");
    const node = this.gobbleExpression();
    if (!node) this.unexpected();
    // jsep would read what follows as further expressions (`a; b`, `a, b`, `a b`); we have one.
    if (this.index < this.expr.length) this.unexpected();
    return node;
  }

  /** An operand, then binary operators, then an optional `? :` (right-associative, lowest). */
  override gobbleExpression(): ParsedNode | false {
    const test = this.parseBinary(0);
    this.gobbleSpaces();
    if (!test || this.codeHere() !== QUMARK) return test;
    this.index++;
    this.enter();
    const consequent = this.gobbleExpression();
    if (!consequent) this.expected("expression after '?'");
    if (this.codeHere() !== COLON) this.expected("':'");
    this.index++;
    const alternate = this.gobbleExpression();
    if (!alternate) this.expected("expression after ':'");
    this.leave();
    return this.measured({ type: "ConditionalExpression", test, consequent, alternate });
  }

  /** Precedence climbing over BINARY_PRECEDENCE: reads operators that bind tighter than `minPrecedence`. */
  private parseBinary(minPrecedence: number): ParsedNode | false {
    let left = this.gobbleToken();
    if (!left) return false;
    for (;;) {
      const before = this.index;
      const operator = this.gobbleBinaryOp();
      const precedence = operator ? BINARY_PRECEDENCE[operator] : undefined;
      if (!operator || precedence === undefined || precedence <= minPrecedence) {
        this.index = before;
        return left;
      }
      this.enter();
      const right = this.parseBinary(RIGHT_ASSOCIATIVE.has(operator) ? precedence - 1 : precedence);
      if (!right) this.expected(`expression after '${operator}'`);
      this.leave();
      left = this.measured({ type: "BinaryExpression", operator, left, right });
    }
  }

  override gobbleBinaryOp(): string | false {
    this.gobbleSpaces();
    for (const [first, second] of WORD_PAIRS) {
      const end = this.matchWordPair(first, second);
      if (end !== undefined) {
        this.index = end;
        return `${first} ${second}`;
      }
    }
    return super.gobbleBinaryOp();
  }

  /** End offset of `first <whitespace> second` at the cursor, as whole words; undefined if absent. */
  private matchWordPair(first: string, second: string): number | undefined {
    if (!this.expr.startsWith(first, this.index)) return undefined;
    let i = this.index + first.length;
    if (!isSpace(this.expr.charCodeAt(i))) return undefined;
    while (isSpace(this.expr.charCodeAt(i))) i++;
    if (!this.expr.startsWith(second, i)) return undefined;
    const end = i + second.length;
    return end < this.expr.length && Jsep.isIdentifierPart(this.expr.charCodeAt(end)) ? undefined : end;
  }

  override gobbleToken(): ParsedNode | false {
    this.gobbleSpaces();
    const start = this.index;
    const word = this.peekWord();
    if (word === "not") {
      // Python's `not`: looser than comparisons, so `not a in b` is `not (a in b)`; tighter than and/or.
      this.index += word.length;
      this.enter();
      const argument = this.parseBinary(NOT_PRECEDENCE);
      if (!argument) this.expected("expression after 'not'");
      this.leave();
      return this.measured({ type: "UnaryExpression", operator: "not", argument, prefix: true });
    }
    const sign = this.codeHere();
    if (sign === MINUS || sign === PLUS) {
      // As in mathematics and Python, `**` binds tighter than a sign: -2 ** 2 is -(2 ** 2).
      this.index++;
      this.enter();
      const argument = this.parseBinary(BINARY_PRECEDENCE["*"]!);
      if (!argument) this.expected(`expression after '${String.fromCharCode(sign)}'`);
      this.leave();
      return this.measured({
        type: "UnaryExpression",
        operator: String.fromCharCode(sign),
        argument,
        prefix: true,
      });
    }
    if (OPERATOR_WORDS.has(word)) this.fail(`Unexpected token '${word}'`, start);
    if (UNSUPPORTED_WORDS.has(word)) this.fail(`'${word}' is not supported`, start);
    this.enter();
    const node = super.gobbleToken();
    this.leave();
    return node && this.measured(node);
  }

  override gobbleIdentifier(): ParsedNode {
    const start = this.index;
    const node = super.gobbleIdentifier();
    node.start = start;
    return node;
  }

  override gobbleNumericLiteral(): ParsedNode {
    const start = this.index;
    const node = super.gobbleNumericLiteral();
    if (!Number.isFinite(node.value)) this.fail("Number out of range", start);
    return node;
  }

  /** Strings with JSON/JavaScript escapes; an unknown escape is an error rather than a silent letter. */
  override gobbleStringLiteral(): ParsedNode {
    const start = this.index;
    const quote = this.codeHere();
    this.index++;
    let value = "";
    let chunk = this.index;
    while (this.index < this.expr.length) {
      const code = this.codeHere();
      if (code === quote) {
        value += this.expr.slice(chunk, this.index);
        this.index++;
        return { type: "Literal", value, raw: this.expr.slice(start, this.index), start };
      }
      if (code === BACKSLASH) {
        value += this.expr.slice(chunk, this.index);
        value += this.gobbleEscape(start);
        chunk = this.index;
      } else {
        this.index++;
      }
    }
    return this.fail("Unclosed string", start);
  }

  private gobbleEscape(stringStart: number): string {
    const at = this.index;
    this.index++;
    if (this.index >= this.expr.length) this.fail("Unclosed string", stringStart);
    const letter = this.char;
    this.index++;
    switch (letter) {
      case "n":
        return "\n";
      case "r":
        return "\r";
      case "t":
        return "\t";
      case "b":
        return "\b";
      case "f":
        return "\f";
      case "v":
        return "\v";
      case "0":
        return "\0";
      case "\\":
      case "'":
      case '"':
      case "/":
        return letter;
      case "x":
        return String.fromCharCode(this.gobbleHex(2, at));
      case "u":
        if (this.codeHere() !== 0x7b /* { */) return String.fromCharCode(this.gobbleHex(4, at));
        return this.gobbleCodePoint(at);
      default:
        return this.fail(`Invalid escape sequence '\\${letter}'`, at);
    }
  }

  private gobbleHex(digits: number, escapeStart: number): number {
    const text = this.expr.slice(this.index, this.index + digits);
    if (text.length !== digits || ![...text].every(isHexDigit)) {
      this.fail("Invalid escape sequence", escapeStart);
    }
    this.index += digits;
    return Number.parseInt(text, 16);
  }

  private gobbleCodePoint(escapeStart: number): string {
    const close = this.expr.indexOf("}", this.index);
    const text = close < 0 ? "" : this.expr.slice(this.index + 1, close);
    const codePoint = Number.parseInt(text, 16);
    if (!/^[0-9a-fA-F]{1,6}$/.test(text) || codePoint > 0x10ffff) {
      this.fail("Invalid escape sequence", escapeStart);
    }
    this.index = close + 1;
    return String.fromCodePoint(codePoint);
  }

  /** `( expression )`; jsep would also accept `(a, b)` as a sequence and `()` as nothing. */
  override gobbleGroup(): ParsedNode | false {
    const open = this.index;
    this.index++;
    this.gobbleSpaces();
    if (this.codeHere() === CPAREN) this.unexpected();
    const node = this.gobbleExpression();
    if (!node) this.unexpected();
    if (this.codeHere() !== CPAREN) {
      if (this.index >= this.expr.length) this.fail("Unclosed '('", open);
      this.unexpected();
    }
    this.index++;
    // Parentheses end an optional chain: `(a?.b).c` reads `.c` of null (an error) like JavaScript.
    node.parenthesized = true;
    return node;
  }

  /** Comma-separated expressions up to `termination` (`)` of a call, `]` of an array): no holes. */
  override gobbleArguments(termination: number): ParsedNode[] {
    const open = this.index - 1;
    const items: ParsedNode[] = [];
    this.gobbleSpaces();
    if (this.codeHere() === termination) {
      this.index++;
      return items;
    }
    for (;;) {
      const item = this.gobbleExpression();
      if (!item) this.unexpected();
      items.push(item);
      if (this.codeHere() === termination) {
        this.index++;
        return items;
      }
      if (this.codeHere() !== COMMA) {
        if (this.index >= this.expr.length) this.fail(`Unclosed '${this.expr[open]}'`, open);
        this.unexpected();
      }
      this.index++;
      this.gobbleSpaces();
    }
  }

  /** Member access (`.b`, `[k]`, `?.b`, `?.[k]`) and calls after an operand. */
  override gobbleTokenProperty(object: ParsedNode): ParsedNode {
    let node = object;
    for (;;) {
      this.gobbleSpaces();
      let optional = false;
      let code = this.codeHere();
      if (code === QUMARK) {
        const next = this.expr.charCodeAt(this.index + 1);
        // `a ?.5 : b` is a conditional, as in JavaScript; only `?.` not followed by a digit chains.
        if (next !== PERIOD || Jsep.isDecimalDigit(this.expr.charCodeAt(this.index + 2))) return node;
        optional = true;
        this.index += 2;
        this.gobbleSpaces();
        code = this.codeHere();
        if (code === OPAREN) this.fail("Optional calls are not supported");
      }
      // After `?.` the cursor is already at the name (or at the `[` of `?.[key]`).
      if (code === PERIOD || (optional && code !== OBRACK)) {
        if (!optional) this.index++;
        this.gobbleSpaces();
        const property = this.gobbleIdentifier();
        node = { type: "MemberExpression", computed: false, optional, object: node, property };
      } else if (code === OBRACK) {
        const open = this.index;
        this.index++;
        this.enter();
        const property = this.gobbleExpression();
        if (!property) this.unexpected();
        if (this.codeHere() !== CBRACK) {
          if (this.index >= this.expr.length) this.fail("Unclosed '['", open);
          this.unexpected();
        }
        this.index++;
        this.leave();
        node = { type: "MemberExpression", computed: true, optional, object: node, property };
      } else if (code === OPAREN) {
        this.index++;
        this.enter();
        node = { type: "CallExpression", callee: node, arguments: this.gobbleArguments(CPAREN) };
        this.leave();
      } else {
        return node;
      }
      this.measured(node);
    }
  }

  /** Errors raised inside jsep's own methods: reword them like ours and add the position. */
  override throwError(message: string): never {
    return this.fail(rewordJsepMessage(message, this.char));
  }

  private fail(message: string, position = this.index): never {
    throw new ExpressionError(`${message} at character ${position}`, position);
  }

  private expected(what: string): never {
    if (this.index >= this.expr.length) this.fail(`Expected ${what}`);
    return this.unexpected();
  }

  private unexpected(): never {
    if (this.index >= this.expr.length) this.fail("Unexpected end of expression");
    const token = this.peekWord() || String.fromCodePoint(this.expr.codePointAt(this.index) ?? 0);
    return this.fail(`Unexpected token '${token}'`);
  }

  /** The char code at the cursor (NaN at the end); a method, so TypeScript does not narrow it across calls. */
  private codeHere(): number {
    return this.expr.charCodeAt(this.index);
  }

  /** The identifier-like word at the cursor, or "" when the cursor is not at one. */
  private peekWord(): string {
    let end = this.index;
    if (!Jsep.isIdentifierStart(this.expr.charCodeAt(end))) return "";
    do end++;
    while (end < this.expr.length && Jsep.isIdentifierPart(this.expr.charCodeAt(end)));
    return this.expr.slice(this.index, end);
  }

  /** `node`, after checking that the tree it tops is not deeper than MAX_DEPTH (long operator chains). */
  private measured(node: ParsedNode): ParsedNode {
    if (heightOf(node) > MAX_DEPTH) this.fail(`Expression nested too deeply (more than ${MAX_DEPTH} levels)`);
    return node;
  }

  private enter(): void {
    if (++this.nesting > MAX_DEPTH) this.fail(`Expression nested too deeply (more than ${MAX_DEPTH} levels)`);
  }

  private leave(): void {
    this.nesting--;
  }
}

/** jsep's messages, in the wording of ours ("Unexpected token 'x'", "Invalid number '1e'"). */
function rewordJsepMessage(message: string, char: string): string {
  // `!` is the only unary operator left to jsep (see OUR_CONFIGURATION).
  if (message === "missing unaryOp argument") return "Expected expression after '!'";
  if (message === "Unexpected period") return "Unexpected token '.'";
  const number = /^(?:Expected exponent|Variable names cannot start with a number) \((.*)\)$/.exec(message);
  if (number) return `Invalid number '${number[1]}'`;
  if (message.startsWith("Unexpected ")) {
    return char === "" ? "Unexpected end of expression" : `Unexpected token '${char}'`;
  }
  return message;
}

const utf8 = new TextEncoder();

/** Parses one expression; throws ExpressionError with the position on bad syntax or an exceeded bound. */
export function parse(source: string): ParsedNode {
  // Cheap length test first: UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (
    source.length > MAX_SOURCE_BYTES ||
    (source.length * 3 > MAX_SOURCE_BYTES && utf8.encode(source).length > MAX_SOURCE_BYTES)
  ) {
    throw new ExpressionError(`Expression is too long (more than ${MAX_SOURCE_BYTES} bytes)`);
  }
  return withOurConfiguration(() => {
    try {
      return new ExpressionParser(source).parse();
    } catch (error) {
      // A backstop: the nesting bound should stop recursion long before the stack runs out.
      if (error instanceof RangeError) throw new ExpressionError("Expression nested too deeply");
      throw error;
    }
  });
}
