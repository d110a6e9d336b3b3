/**
 * Turns a parsed tree into a tree of closures, once, so that evaluating a cached expression is a few
 * direct function calls per node (no tree walk, no string work, and never eval or new Function).
 *
 * Compilation is also where the language is enforced: only the node types below are accepted (any
 * other, such as `this`, sequences or anything a jsep plugin might produce, is an error); names,
 * member keys written in the source and called functions are checked against the rules; and the tree
 * depth is bounded.
 */
import type jsep from "jsep";
import type { Evaluation } from "./budget.js";
import { ExpressionError } from "./errors.js";
import { arityMessage, findBuiltin } from "./functions.js";
import { MAX_DEPTH } from "./limits.js";
import { add, arithmetic, compare, isMember, unaryNumber } from "./operators.js";
import type { ParsedNode } from "./parser.js";
import { assertAllowedKey, readMember, truthy } from "./values.js";

export type Evaluator = (evaluation: Evaluation) => unknown;

export interface CompiledTree {
  readonly run: Evaluator;
  /** Nodes in the tree: the steps every evaluation is charged up front. */
  readonly nodeCount: number;
  /** The context names the expression reads (not member keys, not function names). */
  readonly names: ReadonlySet<string>;
}

interface Counter {
  nodes: number;
  names: Set<string>;
}

export function compileTree(root: ParsedNode): CompiledTree {
  const counter: Counter = { nodes: 0, names: new Set() };
  const run = compileNode(root, 1, counter);
  return { run, nodeCount: counter.nodes, names: counter.names };
}

function tooDeep(): ExpressionError {
  return new ExpressionError(`Expression nested too deeply (more than ${MAX_DEPTH} levels)`);
}

function compileNode(node: ParsedNode, depth: number, counter: Counter): Evaluator {
  if (depth > MAX_DEPTH) throw tooDeep();
  counter.nodes++;
  switch (node.type) {
    case "Literal":
      return compileLiteral(node as jsep.Literal);
    case "Identifier":
      counter.names.add((node as jsep.Identifier).name);
      return compileName(node as jsep.Identifier & ParsedNode);
    case "MemberExpression":
      return compileMemberChain(node as jsep.MemberExpression & ParsedNode, depth, counter);
    case "ArrayExpression":
      return compileArray(node as jsep.ArrayExpression, depth, counter);
    case "UnaryExpression":
      return compileUnary(node as jsep.UnaryExpression, depth, counter);
    case "BinaryExpression":
      return compileBinary(node as jsep.BinaryExpression, depth, counter);
    case "ConditionalExpression":
      return compileConditional(node as jsep.ConditionalExpression, depth, counter);
    case "CallExpression":
      return compileCall(node as jsep.CallExpression, depth, counter);
    case "Compound":
    case "SequenceExpression":
      throw new ExpressionError("only one expression is allowed (no ';' or ',' sequences)");
    case "ThisExpression":
      throw new ExpressionError("'this' is not supported");
    default:
      throw new ExpressionError(`unsupported syntax (${String(node.type)})`);
  }
}

function compileLiteral(node: jsep.Literal): Evaluator {
  const value = node.value;
  const isJson =
    value === null ||
    typeof value === "string" ||
    typeof value === "boolean" ||
    (typeof value === "number" && Number.isFinite(value));
  // A RegExp literal (jsep's regex plugin) or anything else a foreign parser config might produce.
  if (!isJson) throw new ExpressionError("unsupported literal (only numbers, strings, true, false, null)");
  return () => value;
}

function compileName(node: jsep.Identifier & ParsedNode): Evaluator {
  const name = node.name;
  assertAllowedKey(name, node.start);
  return (evaluation) => evaluation.names.read(name);
}

/** One `.key`, `[key]`, `?.key` or `?.[key]` step of a member chain. */
interface Link {
  readonly optional: boolean;
  readonly read: (target: unknown, evaluation: Evaluation) => unknown;
}

/** What `?.` protects against: a value that has no members at all. */
const hasNoMembers = (value: unknown) =>
  value === null || typeof value === "number" || typeof value === "boolean";

/**
 * `a.b?.c[d]` as one chain, so that a `?.` that meets null ends the whole chain with null (as in
 * JavaScript, `a?.b.c` is null when a is null); parentheses end a chain.
 */
function compileMemberChain(
  outer: jsep.MemberExpression & ParsedNode,
  depth: number,
  counter: Counter,
): Evaluator {
  const members: Array<jsep.MemberExpression & ParsedNode> = [];
  let current: ParsedNode = outer;
  while (current.type === "MemberExpression" && (current === outer || !current.parenthesized)) {
    if (depth + members.length > MAX_DEPTH) throw tooDeep();
    members.push(current as jsep.MemberExpression & ParsedNode);
    current = current.object as ParsedNode;
  }
  counter.nodes += members.length - 1; // compileNode counted the outermost
  // Compiled in reading order, so an error names the first offending key of `a.b.c`.
  const root = compileNode(current, depth + members.length, counter);
  const links = members
    .map((member, i) => ({ member, level: depth + i }))
    .reverse()
    .map(({ member, level }) => compileLink(member, level, counter));

  if (links.length === 1) {
    const { optional, read } = links[0]!;
    if (!optional) return (evaluation) => read(root(evaluation), evaluation);
    return (evaluation) => {
      const target = root(evaluation);
      return hasNoMembers(target) ? null : read(target, evaluation);
    };
  }
  return (evaluation) => {
    let value = root(evaluation);
    for (const link of links) {
      if (link.optional && hasNoMembers(value)) return null;
      value = link.read(value, evaluation);
    }
    return value;
  };
}

function compileLink(member: jsep.MemberExpression & ParsedNode, level: number, counter: Counter): Link {
  const optional = member.optional === true;
  const property = member.property as ParsedNode;
  if (!member.computed) {
    const key = (property as jsep.Identifier).name;
    assertAllowedKey(key, property.start);
    return { optional, read: (target) => readMember(target, key) };
  }
  if (property.type === "Literal") {
    const key = (property as jsep.Literal).value;
    if (typeof key === "string") assertAllowedKey(key, property.start);
    compileNode(property, level + 1, counter);
    return { optional, read: (target) => readMember(target, key) };
  }
  const key = compileNode(property, level + 1, counter);
  return { optional, read: (target, evaluation) => readMember(target, key(evaluation)) };
}

function compileArray(node: jsep.ArrayExpression, depth: number, counter: Counter): Evaluator {
  const elements = node.elements.map((element) => {
    if (element === null) throw new ExpressionError("arrays cannot have holes");
    return compileNode(element, depth + 1, counter);
  });
  return (evaluation) => evaluation.adopt(elements.map((element) => element(evaluation)));
}

function compileUnary(node: jsep.UnaryExpression, depth: number, counter: Counter): Evaluator {
  const operand = compileNode(node.argument, depth + 1, counter);
  switch (node.operator) {
    case "-":
    case "+": {
      const operator = node.operator;
      return (evaluation) => unaryNumber(operator, operand(evaluation));
    }
    case "!":
    case "not":
      return (evaluation) => !truthy(operand(evaluation));
    default:
      throw new ExpressionError(`unsupported operator '${node.operator}'`);
  }
}

function compileBinary(node: jsep.BinaryExpression, depth: number, counter: Counter): Evaluator {
  const left = compileNode(node.left, depth + 1, counter);
  const right = compileNode(node.right, depth + 1, counter);
  const operator = node.operator;
  switch (operator) {
    // Logical operators return one of their operands (as in Python and JavaScript), judged by truthiness.
    case "||":
    case "or":
      return (evaluation) => {
        const value = left(evaluation);
        return truthy(value) ? value : right(evaluation);
      };
    case "&&":
    case "and":
      return (evaluation) => {
        const value = left(evaluation);
        return truthy(value) ? right(evaluation) : value;
      };
    case "??":
      return (evaluation) => {
        const value = left(evaluation);
        return value === null ? right(evaluation) : value;
      };
    // Values are JSON (never undefined, never NaN), so === is exactly "same value" for primitives.
    case "==":
    case "===":
    case "is":
      return (evaluation) => left(evaluation) === right(evaluation);
    case "!=":
    case "!==":
    case "is not":
      return (evaluation) => left(evaluation) !== right(evaluation);
    case "<":
    case "<=":
    case ">":
    case ">=":
      return compileComparison(operator, left, right);
    case "in":
      return (evaluation) => isMember(left(evaluation), right(evaluation), evaluation);
    case "not in":
      return (evaluation) => !isMember(left(evaluation), right(evaluation), evaluation, "not in");
    case "+":
      return (evaluation) => add(left(evaluation), right(evaluation), evaluation);
    case "-":
    case "*":
    case "/":
    case "%":
    case "**":
      return (evaluation) => arithmetic(operator, left(evaluation), right(evaluation));
    default:
      throw new ExpressionError(`unsupported operator '${operator}'`);
  }
}

/** Comparisons with the number-number case inline, since conditions are mostly that. */
function compileComparison(operator: "<" | "<=" | ">" | ">=", left: Evaluator, right: Evaluator): Evaluator {
  switch (operator) {
    case "<":
      return (evaluation) => {
        const a = left(evaluation);
        const b = right(evaluation);
        return typeof a === "number" && typeof b === "number" ? a < b : compare(operator, a, b);
      };
    case "<=":
      return (evaluation) => {
        const a = left(evaluation);
        const b = right(evaluation);
        return typeof a === "number" && typeof b === "number" ? a <= b : compare(operator, a, b);
      };
    case ">":
      return (evaluation) => {
        const a = left(evaluation);
        const b = right(evaluation);
        return typeof a === "number" && typeof b === "number" ? a > b : compare(operator, a, b);
      };
    case ">=":
      return (evaluation) => {
        const a = left(evaluation);
        const b = right(evaluation);
        return typeof a === "number" && typeof b === "number" ? a >= b : compare(operator, a, b);
      };
  }
}

function compileConditional(node: jsep.ConditionalExpression, depth: number, counter: Counter): Evaluator {
  const test = compileNode(node.test, depth + 1, counter);
  const consequent = compileNode(node.consequent, depth + 1, counter);
  const alternate = compileNode(node.alternate, depth + 1, counter);
  return (evaluation) => (truthy(test(evaluation)) ? consequent(evaluation) : alternate(evaluation));
}

function compileCall(node: jsep.CallExpression, depth: number, counter: Counter): Evaluator {
  const callee = node.callee as ParsedNode;
  if (callee.type === "MemberExpression") {
    const property = callee.property as ParsedNode;
    if (!callee.computed) assertAllowedKey((property as jsep.Identifier).name, property.start);
    const shown = callee.computed ? "[…]" : `'${(property as jsep.Identifier).name}'`;
    throw new ExpressionError(
      `methods are not callable (${shown}); call a function instead, e.g. upper(x)`,
      property.start,
    );
  }
  if (callee.type !== "Identifier" || callee.parenthesized) {
    throw new ExpressionError("only functions can be called, by their name (e.g. len(x))", callee.start);
  }
  const name = (callee as jsep.Identifier).name;
  const fn = findBuiltin(name);
  if (fn === undefined) throw new ExpressionError(`function '${name}' is not allowed`, callee.start);
  const given = node.arguments.length;
  if (given < fn.minArgs || given > fn.maxArgs) {
    throw new ExpressionError(arityMessage(name, fn, given), callee.start);
  }
  const args = node.arguments.map((argument) => compileNode(argument, depth + 1, counter));
  if (args.length === 1) {
    const only = args[0]!;
    return (evaluation) => fn.call([only(evaluation)], evaluation);
  }
  return (evaluation) =>
    fn.call(
      args.map((argument) => argument(evaluation)),
      evaluation,
    );
}
