import { JOB_EVENT_TYPES, type JobEventType } from "../../core/types.js";
import type { JobStream } from "./job-stream.js";
import type { SubscriptionMessage } from "./protocol.js";

/**
 * What one connection asked for: which event types (all by default) and which jobs, each with its stream. Filters
 * apply to events only; control messages are always sent (docs/websocket-events.md).
 */
export class Subscription {
  /** null: every type. */
  #types: Set<JobEventType> | null = null;
  readonly #streams = new Map<string, JobStream>();

  wants(type: JobEventType): boolean {
    return this.#types === null || this.#types.has(type);
  }

  /** From now on only these types. */
  only(types: readonly JobEventType[]): void {
    this.#types = new Set(types);
  }

  /** Removes types; from the full set when the connection had all of them. */
  without(types: readonly JobEventType[]): void {
    const remaining = new Set(this.#types ?? JOB_EVENT_TYPES);
    for (const type of types) remaining.delete(type);
    this.#types = remaining;
  }

  all(): void {
    this.#types = null;
  }

  stream(job_id: string): JobStream | undefined {
    return this.#streams.get(job_id);
  }

  follow(stream: JobStream): void {
    this.#streams.set(stream.job_id, stream);
  }

  /** Stops and forgets the job's stream; false when the job was not followed. */
  unfollow(job_id: string): boolean {
    const stream = this.#streams.get(job_id);
    if (!stream) return false;
    stream.close();
    this.#streams.delete(job_id);
    return true;
  }

  streams(): JobStream[] {
    return [...this.#streams.values()];
  }

  /** Jobs followed. */
  get size(): number {
    return this.#streams.size;
  }

  get job_ids(): string[] {
    return [...this.#streams.keys()];
  }

  /** Closes every stream (the socket went away). */
  close(): void {
    for (const stream of this.#streams.values()) stream.close();
    this.#streams.clear();
  }

  reply(): SubscriptionMessage {
    const types = this.#types;
    return {
      type: "subscription",
      subscribed_all: types === null,
      // In the contract's order, so replies read the same whatever order the client listed them in.
      events: JOB_EVENT_TYPES.filter((type) => types === null || types.has(type)),
      job_ids: this.job_ids,
    };
  }
}
