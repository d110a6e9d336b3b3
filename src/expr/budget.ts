import type { Bindings } from "./bindings.js";
import { ExpressionError, StepLimitError } from "./errors.js";
import { ITEMS_PER_STEP, MAX_PRODUCED, MAX_STEPS } from "./limits.js";

/**
 * One evaluation: the names it reads and the steps it has spent.
 *
 * The language has no loops, so every node runs at most once; the nodes are charged up front (one
 * step each, whether or not a branch runs). What can grow is the work of functions and operators
 * over strings and arrays, which charge as they go, before doing the work.
 */
export class Evaluation {
  private steps = 0;
  /** MAX_STEPS, or less when the evaluation spends from a shared `StepBudget`. */
  private limit = MAX_STEPS;
  #names: Bindings | null = null;

  /** True while an evaluation runs on this object (`compile` reuses one per expression). */
  get running(): boolean {
    return this.#names !== null;
  }

  get names(): Bindings {
    return this.#names!;
  }

  /** Steps spent so far (more than the limit once a StepLimitError was thrown). */
  get spent(): number {
    return this.steps;
  }

  /** Starts an evaluation over `names`, charging the expression's `nodeSteps` up front. */
  begin(names: Bindings, nodeSteps: number, limit = MAX_STEPS): this {
    this.#names = names;
    this.limit = limit;
    this.steps = nodeSteps;
    this.charge(0);
    return this;
  }

  /** Ends the evaluation and lets go of what it read and built, so a reused object holds on to nothing. */
  end(): void {
    this.#names = null;
    this.builtArrays = undefined;
  }

  /** Charges walking `items` elements or characters: one step per ITEMS_PER_STEP, at least one. */
  charge(items: number): void {
    this.spend(items <= ITEMS_PER_STEP ? 1 : Math.ceil(items / ITEMS_PER_STEP));
  }

  /** Charges `steps` steps outright (work that is slow per item, such as checked element reads). */
  spend(steps: number): void {
    this.steps += steps;
    if (this.steps > this.limit) throw new StepLimitError(this.limit);
  }

  /** Arrays this evaluation built out of checked values (literals, sorted(), keys(), values()). */
  private builtArrays: Set<object> | undefined;

  /** Records that this evaluation built `array`, so that walking it later needs no per-element checks. */
  adopt<T extends unknown[]>(array: T): T {
    this.builtArrays ??= new Set();
    this.builtArrays.add(array);
    return array;
  }

  /** Whether this evaluation built `array` (nobody else holds it yet, so it holds only checked values). */
  hasBuilt(array: object): boolean {
    return this.builtArrays?.has(array) === true;
  }
}

/**
 * Steps that several evaluations share, such as the breakpoint conditions checked at one safe point: each
 * evaluation may take at most what is left (and never more than MAX_STEPS), and what it took is subtracted.
 */
export class StepBudget {
  constructor(public remaining: number) {}

  get exhausted(): boolean {
    return this.remaining <= 0;
  }
}

/** Refuses to produce a string longer than MAX_PRODUCED characters (checked before building it). */
export function assertStringSize(length: number): void {
  if (length > MAX_PRODUCED)
    throw new ExpressionError(`string too long (more than ${MAX_PRODUCED} characters)`);
}

/** Refuses to produce an array of more than MAX_PRODUCED items (checked before building it). */
export function assertArraySize(length: number): void {
  if (length > MAX_PRODUCED) throw new ExpressionError(`array too large (more than ${MAX_PRODUCED} items)`);
}
