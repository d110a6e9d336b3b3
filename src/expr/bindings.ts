import { ExpressionError } from "./errors.js";
import { MISSING, readName, readOwn } from "./values.js";

const isObject = (value: unknown): value is object =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * The names expressions read at one place: an overlay's own properties over a context's (a breakpoint's reserved
 * names over a payload's fields, without copying the payload). Each name is read and checked once, however many
 * expressions read it here: ten breakpoint conditions on one delivery pay for one property descriptor, not ten.
 * Only for as long as the objects do not change: one safe point, one evaluation. `reset` starts over at the next
 * place, so that a caller on a hot path can keep one instance.
 */
export class Bindings {
  #context: object = {};
  #overlay: object | null = null;
  // Most conditions read one or two names: those sit in fields, and only a third name costs a Map.
  #firstName: string | null = null;
  #firstValue: unknown = null;
  #secondName: string | null = null;
  #secondValue: unknown = null;
  #more: Map<string, unknown> | null = null;

  constructor(context: object, overlay: object | null = null) {
    this.reset(context, overlay);
  }

  /** Forgets every name read so far and reads from `context` and `overlay` from now on. */
  reset(context: object, overlay: object | null = null): this {
    if (!isObject(context) || (overlay !== null && !isObject(overlay))) {
      throw new ExpressionError("context must be an object");
    }
    this.#context = context;
    this.#overlay = overlay;
    this.#firstName = null;
    this.#firstValue = null;
    this.#secondName = null;
    this.#secondValue = null;
    this.#more = null;
    return this;
  }

  /** The value of `name`: the overlay's own property if it has one, else the context's; else an error. */
  read(name: string): unknown {
    if (this.#firstName === name) return this.#firstValue;
    if (this.#secondName === name) return this.#secondValue;
    const known = this.#more?.get(name);
    if (known !== undefined) return known;
    const value = this.#lookUp(name);
    if (this.#firstName === null) {
      this.#firstName = name;
      this.#firstValue = value;
    } else if (this.#secondName === null) {
      this.#secondName = name;
      this.#secondValue = value;
    } else {
      this.#more ??= new Map();
      this.#more.set(name, value);
    }
    return value;
  }

  #lookUp(name: string): unknown {
    // `hasOwn` first: most names miss the overlay, and a miss then costs no property descriptor.
    if (this.#overlay !== null && Object.hasOwn(this.#overlay, name)) {
      const value = readOwn(this.#overlay, name);
      if (value !== MISSING) return value;
    }
    return readName(this.#context, name);
  }
}
