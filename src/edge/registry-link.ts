import type { JobEvent, JobRecord } from "../core/types.js";

/** What a JobObject tells the registry: its record as it is now, and events the registry's sockets may want. */
export interface JobReport {
  record: JobRecord;
  /** `job_*` events always (every `/ws` socket gets them); every event while the registry watches the job. */
  events: JobEvent[];
}

/** The registry's answer: whether some registry socket (flow monitor, `/ws` subscription) wants all events. */
export interface JobReportReply {
  watched: boolean;
}

export type SendReport = (report: JobReport) => Promise<JobReportReply>;

/**
 * A JobObject's line to the registry. Reports go one at a time, in order, and pile up into one while the previous
 * is in flight (latest record, every event), so the registry's index is never overwritten by an older state and a
 * busy job costs the registry one call per round trip, not one per event.
 */
export class RegistryLink {
  #watched = false;
  /** Bumped by `watch()`: a reply the registry wrote before a watch arrived must not switch it off again. */
  #watchRequests = 0;
  #pending: JobReport | null = null;
  #waiters: (() => void)[] = [];
  #sending = false;

  constructor(
    private readonly send: SendReport,
    /** The registry has this record now (called in report order). */
    private readonly onDelivered: (record: JobRecord) => void,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** True while the registry wants every event of this job. */
  get watched(): boolean {
    return this.#watched;
  }

  /** The registry asked for every event from now on (a flow monitor or a `/ws` subscription opened). */
  watch(): void {
    this.#watched = true;
    this.#watchRequests++;
  }

  /** Queues the record and the events the registry should see; resolves once the registry has them. */
  report(record: JobRecord, events: readonly JobEvent[]): Promise<void> {
    const wanted = this.#watched ? events : events.filter((event) => event.type.startsWith("job_"));
    if (this.#pending) {
      this.#pending.record = record;
      this.#pending.events.push(...wanted);
    } else {
      this.#pending = { record, events: [...wanted] };
    }
    const delivered = new Promise<void>((resolve) => this.#waiters.push(resolve));
    if (!this.#sending) void this.#drain();
    return delivered;
  }

  async #drain(): Promise<void> {
    this.#sending = true;
    while (this.#pending) {
      const report = this.#pending;
      const waiters = this.#waiters;
      this.#pending = null;
      this.#waiters = [];
      const watchRequests = this.#watchRequests;
      try {
        const { watched } = await this.send(report);
        if (watched || watchRequests === this.#watchRequests) this.#watched = watched;
        this.onDelivered(report.record);
      } catch (error) {
        // The registry's index lags until the next report (the object retries on an alarm); the job goes on.
        this.onError(error);
      }
      for (const resolve of waiters) resolve();
    }
    this.#sending = false;
  }
}
