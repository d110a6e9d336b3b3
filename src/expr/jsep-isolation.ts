/**
 * jsep, configured for us alone.
 *
 * jsep keeps its operators, literals, identifier characters and plugin hooks as global state on one
 * class that every importer shares. This module never changes that state for longer than one
 * synchronous parse: `withOurConfiguration` installs our frozen configuration, runs the parse and puts
 * back whatever was there. So another user of jsep (or a plugin someone registers) cannot change our
 * language, and ours cannot change theirs. Hooks are empty during our parse: no plugin runs.
 */
import jsep from "jsep";
import { BINARY_PRECEDENCE, RIGHT_ASSOCIATIVE } from "./grammar.js";

/**
 * A node of the tree: jsep's shape, plus the source offset of identifiers and string literals, whether
 * it was written in parentheses, and the height of its subtree (as the interpreter counts depth).
 */
export type ParsedNode = jsep.Expression & { start?: number; parenthesized?: boolean; height?: number };

/** jsep's mutable global configuration: the fields its parser reads while parsing. */
interface JsepConfiguration {
  unary_ops: Record<string, number>;
  binary_ops: Record<string, number>;
  max_unop_len: number;
  max_binop_len: number;
  right_associative: Set<string>;
  additional_identifier_chars: Set<string>;
  literals: Record<string, unknown>;
  this_str: string;
  hooks: object;
}

/** The part of jsep's parser instance this module builds on (jsep's typings do not declare the class). */
export interface JsepParser {
  index: number;
  readonly expr: string;
  readonly char: string;
  readonly code: number;
  parse(): ParsedNode;
  gobbleSpaces(): void;
  gobbleExpression(): ParsedNode | false;
  gobbleToken(): ParsedNode | false;
  gobbleTokenProperty(node: ParsedNode): ParsedNode;
  gobbleNumericLiteral(): ParsedNode;
  gobbleStringLiteral(): ParsedNode;
  gobbleIdentifier(): ParsedNode;
  gobbleArguments(termination: number): ParsedNode[];
  gobbleGroup(): ParsedNode | false;
  gobbleBinaryOp(): string | false;
  throwError(message: string): never;
}

export interface JsepClass extends JsepConfiguration {
  new (expr: string): JsepParser;
  isIdentifierStart(code: number): boolean;
  isIdentifierPart(code: number): boolean;
  isDecimalDigit(code: number): boolean;
}

export const Jsep = (jsep as unknown as { Jsep: JsepClass }).Jsep;

/** The one-token binary operators, for jsep's tokenizer; the parser matches `not in` and `is not` itself. */
const SINGLE_TOKEN_OPERATORS = Object.freeze(
  Object.fromEntries(Object.entries(BINARY_PRECEDENCE).filter(([operator]) => !operator.includes(" "))),
);

const OUR_CONFIGURATION: Readonly<JsepConfiguration> = Object.freeze({
  // Signs are parsed by the parser itself (they bind looser than `**`); jsep's tokenizer keeps `!`.
  unary_ops: Object.freeze({ "!": 1 }),
  binary_ops: SINGLE_TOKEN_OPERATORS,
  max_unop_len: 1,
  max_binop_len: Math.max(...Object.keys(SINGLE_TOKEN_OPERATORS).map((operator) => operator.length)),
  right_associative: new Set(RIGHT_ASSOCIATIVE),
  // No `$`: names are letters, digits and `_` (others are reachable as payload['$x']).
  additional_identifier_chars: new Set(["_"]),
  literals: Object.freeze({ true: true, false: false, null: null }),
  this_str: "this",
  // No hooks at all: plugins registered by anyone else (and jsep's own ternary) do not run here.
  hooks: Object.freeze(Object.create(null)),
});
const CONFIGURATION_KEYS = Object.keys(OUR_CONFIGURATION) as Array<keyof JsepConfiguration>;

/** Runs `parseNow` with our configuration installed on jsep's class, and puts the previous one back. */
export function withOurConfiguration<T>(parseNow: () => T): T {
  const target = Jsep as unknown as Record<string, unknown>;
  const previous = CONFIGURATION_KEYS.map((key) => target[key]);
  for (const key of CONFIGURATION_KEYS) target[key] = OUR_CONFIGURATION[key];
  try {
    return parseNow();
  } finally {
    CONFIGURATION_KEYS.forEach((key, i) => {
      target[key] = previous[i];
    });
  }
}
