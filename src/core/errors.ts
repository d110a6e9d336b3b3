/** Typed errors of the engine; the service layer maps each to one API error code. */
export class RoutiluxError extends Error {
  override name = "RoutiluxError";
}

export type NotFoundKind = "flow" | "job" | "routine" | "breakpoint" | "connection";

export class NotFoundError extends RoutiluxError {
  override name = "NotFoundError";
  constructor(
    readonly kind: NotFoundKind,
    readonly id: string,
    message = `${kind[0]!.toUpperCase()}${kind.slice(1)} '${id}' not found`,
  ) {
    super(message);
  }
}

export class AlreadyExistsError extends RoutiluxError {
  override name = "AlreadyExistsError";
  constructor(
    readonly kind: "flow" | "routine",
    readonly id: string,
  ) {
    super(`${kind[0]!.toUpperCase()}${kind.slice(1)} '${id}' already exists`);
  }
}

/** A control call that the job's state machine does not allow (e.g. resuming a job that is not paused). */
export class InvalidStateError extends RoutiluxError {
  override name = "InvalidStateError";
}

/** A flow definition or DSL document that cannot be used; `issues` name the routine or connection at fault. */
export class FlowInvalidError extends RoutiluxError {
  override name = "FlowInvalidError";
  constructor(readonly issues: string[]) {
    super(issues.join("; "));
  }
}

/** A routine handler asked for something the flow does not have (e.g. emitting an undeclared event). */
export class RoutineUsageError extends RoutiluxError {
  override name = "RoutineUsageError";
}

/** A per-object count a client asked to exceed (breakpoints on a job, …): 422 `LIMIT_EXCEEDED`. */
export class LimitExceededError extends RoutiluxError {
  override name = "LimitExceededError";
  constructor(
    message: string,
    readonly details: { limit: number } & Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The server is at capacity for now (active jobs, memory): 429 `RATE_LIMITED` with `Retry-After`. */
export class AtCapacityError extends RoutiluxError {
  override name = "AtCapacityError";
  constructor(
    message: string,
    readonly details: Record<string, unknown>,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}
