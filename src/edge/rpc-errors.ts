import {
  AlreadyExistsError,
  FlowInvalidError,
  InvalidStateError,
  LimitExceededError,
  NotFoundError,
  type NotFoundKind,
} from "../core/errors.js";
import { ExpressionError } from "../expr/index.js";
import { InvalidJobQueryError } from "../service/job-cursor.js";

/**
 * Workers RPC carries an error's message across but not its class, and the API maps errors to contract codes by
 * class (api/errors.ts). So every Durable Object method answers with a result, and the calling side throws the
 * very error the object threw. Errors that are not ours stay thrown: the caller sees a generic failure (a 500).
 */
export type EncodedError =
  | { kind: "not_found"; what: NotFoundKind; id: string; message: string }
  | { kind: "already_exists"; what: "flow" | "routine"; id: string }
  | { kind: "invalid_state"; message: string }
  | { kind: "flow_invalid"; issues: string[] }
  | { kind: "invalid_query"; field: InvalidJobQueryError["field"]; message: string }
  | { kind: "expression"; message: string; position: number | null }
  | { kind: "limit_exceeded"; message: string; details: LimitExceededError["details"] };

export type RpcResult<T> = { ok: true; value: T } | { ok: false; error: EncodedError };

export function encodeError(error: unknown): EncodedError | null {
  if (error instanceof NotFoundError) {
    return { kind: "not_found", what: error.kind, id: error.id, message: error.message };
  }
  if (error instanceof AlreadyExistsError) return { kind: "already_exists", what: error.kind, id: error.id };
  if (error instanceof InvalidStateError) return { kind: "invalid_state", message: error.message };
  if (error instanceof FlowInvalidError) return { kind: "flow_invalid", issues: error.issues };
  if (error instanceof InvalidJobQueryError) {
    return { kind: "invalid_query", field: error.field, message: error.message };
  }
  if (error instanceof ExpressionError) {
    return { kind: "expression", message: error.message, position: error.position ?? null };
  }
  if (error instanceof LimitExceededError) {
    return { kind: "limit_exceeded", message: error.message, details: error.details };
  }
  return null;
}

export function decodeError(error: EncodedError): Error {
  switch (error.kind) {
    case "not_found":
      return new NotFoundError(error.what, error.id, error.message);
    case "already_exists":
      return new AlreadyExistsError(error.what, error.id);
    case "invalid_state":
      return new InvalidStateError(error.message);
    case "flow_invalid":
      return new FlowInvalidError(error.issues);
    case "invalid_query":
      return new InvalidJobQueryError(error.field, error.message);
    case "expression":
      return new ExpressionError(error.message, error.position ?? undefined);
    case "limit_exceeded":
      return new LimitExceededError(error.message, error.details);
  }
}

/** Runs one RPC method's body inside the object: our errors become a result, anything else stays thrown. */
export async function settle<T>(body: () => T | Promise<T>): Promise<RpcResult<T>> {
  try {
    return { ok: true, value: await body() };
  } catch (error) {
    const encoded = encodeError(error);
    if (!encoded) throw error;
    return { ok: false, error: encoded };
  }
}

/** On the calling side: the value, or the object's error thrown again as its own class. */
export async function unwrap<T>(result: Promise<RpcResult<T>>): Promise<T> {
  const settled = await result;
  if (settled.ok) return settled.value;
  throw decodeError(settled.error);
}
