import type { FlowDefinition } from "../core/flow.js";
import { isFinished, type JobEvent, type JobRecord, type JobStatus } from "../core/types.js";
import { decodeJobCursor, encodeJobCursor, type JobKey, normalizeTimeBound } from "./job-cursor.js";
import type { EventPage, JobPage, JobQuery, RetentionPolicy, Store, StoredBreakpoint } from "./store.js";

/**
 * The reference Store: everything in process memory, lost on restart.
 *
 * What it hands out: job records are frozen snapshots taken at save time and returned as they are (no copy per
 * read, and a caller that mutates one gets a TypeError instead of silently desynchronising the indexes). Flows and
 * breakpoints are nested, rarely read and edited by their owners, so they are deep-copied on the way in and out.
 * Events are kept by reference: the engine's log never changes an event once appended, and copying each one
 * would double the cost of logging.
 */
export class MemoryStore implements Store {
  private readonly flows = new Map<string, FlowDefinition>();
  private readonly jobs = new Map<string, StoredJob>();
  private readonly allFlows = new JobIndexes();
  private readonly perFlow = new Map<string, JobIndexes>();
  private readonly eventLogs = new Map<string, EventLog>();
  private readonly breakpoints = new Map<string, Map<string, StoredBreakpoint>>();

  async saveFlow(flow: FlowDefinition): Promise<void> {
    this.flows.set(flow.flow_id, structuredClone(flow));
  }

  async getFlow(flowId: string): Promise<FlowDefinition | null> {
    const flow = this.flows.get(flowId);
    return flow ? structuredClone(flow) : null;
  }

  async listFlows(): Promise<FlowDefinition[]> {
    return [...this.flows.values()]
      .sort((a, b) => compareStrings(a.flow_id, b.flow_id))
      .map((flow) => structuredClone(flow));
  }

  async deleteFlow(flowId: string): Promise<boolean> {
    return this.flows.delete(flowId);
  }

  async saveJob(job: JobRecord): Promise<void> {
    const record = Object.freeze({ ...job });
    const stored = this.jobs.get(job.job_id);
    // Most saves only stamp started_at / completed_at; they leave every index as it is.
    if (stored && sameListPosition(stored.record, record)) {
      stored.record = record;
      return;
    }
    if (stored) this.unindex(stored);
    const fresh: StoredJob = { record, key: { created_at: record.created_at, job_id: record.job_id } };
    this.jobs.set(record.job_id, fresh);
    this.allFlows.add(fresh.key, record.status);
    this.flowIndexes(record.flow_id).add(fresh.key, record.status);
  }

  async getJob(jobId: string): Promise<JobRecord | null> {
    return this.jobs.get(jobId)?.record ?? null;
  }

  async listJobs(query: JobQuery): Promise<JobPage> {
    const indexes = query.flow_id === undefined ? this.allFlows : this.perFlow.get(query.flow_id);
    const keys = indexes?.select(query.status);
    if (!keys) return { jobs: [], total: 0, next_cursor: null };
    const page = pageOf(keys, query);
    return {
      jobs: page.keys.map((key) => this.jobs.get(key.job_id)!.record),
      total: page.total,
      next_cursor: page.next,
    };
  }

  async jobsWithStatus(statuses: readonly JobStatus[]): Promise<JobRecord[]> {
    return [...new Set(statuses)]
      .flatMap((status) => this.allFlows.select(status)?.toArray() ?? [])
      .sort(compareKeys)
      .map((key) => this.jobs.get(key.job_id)!.record);
  }

  async appendEvents(jobId: string, events: readonly JobEvent[]): Promise<void> {
    const last = events.at(-1);
    if (!last) return;
    let log = this.eventLogs.get(jobId);
    if (!log) {
      log = { events: [], lastSeq: 0 };
      this.eventLogs.set(jobId, log);
    }
    // A loop, not push(...events): spreading a very large batch would overflow the call stack.
    for (const event of events) log.events.push(event);
    log.lastSeq = last.seq;
  }

  async readEvents(jobId: string, since: number, limit: number): Promise<EventPage> {
    const log = this.eventLogs.get(jobId);
    if (!log) return { events: [], last_seq: 0, oldest_seq: 1 };
    const first = firstIndexWhere(log.events.length, (i) => log.events[i]!.seq > since);
    return {
      events: log.events.slice(first, first + Math.max(0, limit)),
      last_seq: log.lastSeq,
      oldest_seq: log.events[0]?.seq ?? log.lastSeq + 1,
    };
  }

  async truncateEvents(jobId: string, keep: number): Promise<void> {
    const log = this.eventLogs.get(jobId);
    const excess = (log?.events.length ?? 0) - Math.max(0, keep);
    if (log && excess > 0) log.events.splice(0, excess);
  }

  async saveBreakpoint(breakpoint: StoredBreakpoint): Promise<void> {
    let ofJob = this.breakpoints.get(breakpoint.job_id);
    if (!ofJob) {
      ofJob = new Map();
      this.breakpoints.set(breakpoint.job_id, ofJob);
    }
    ofJob.set(breakpoint.breakpoint_id, structuredClone(breakpoint));
  }

  async deleteBreakpoint(jobId: string, breakpointId: string): Promise<boolean> {
    return this.breakpoints.get(jobId)?.delete(breakpointId) ?? false;
  }

  async listBreakpoints(jobId: string): Promise<StoredBreakpoint[]> {
    return [...(this.breakpoints.get(jobId)?.values() ?? [])].map((breakpoint) =>
      structuredClone(breakpoint),
    );
  }

  async sweep(policy: RetentionPolicy): Promise<number> {
    const doomed = this.jobsBeyond(policy);
    if (doomed.size === 0) return 0;
    // One compaction pass per index: removing thousands of old jobs one splice at a time would be quadratic.
    this.allFlows.removeAll(doomed);
    for (const indexes of this.perFlow.values()) indexes.removeAll(doomed);
    for (const jobId of doomed) {
      this.jobs.delete(jobId);
      this.eventLogs.delete(jobId);
      this.breakpoints.delete(jobId);
    }
    return doomed.size;
  }

  async close(): Promise<void> {}

  /** Finished jobs past `maxJobs` (newest first by created_at) or completed before `finishedBefore`. */
  private jobsBeyond(policy: RetentionPolicy): Set<string> {
    const doomed = new Set<string>();
    const maxJobs = policy.maxJobs ?? Number.POSITIVE_INFINITY;
    const before =
      policy.finishedBefore === undefined
        ? undefined
        : normalizeTimeBound("finishedBefore", policy.finishedBefore);
    let finishedSeen = 0;
    for (const key of this.allFlows.all.newestFirst()) {
      const { record } = this.jobs.get(key.job_id)!;
      if (!isFinished(record.status)) continue;
      finishedSeen += 1;
      const tooOld = before !== undefined && record.completed_at !== null && record.completed_at < before;
      if (finishedSeen > maxJobs || tooOld) doomed.add(record.job_id);
    }
    return doomed;
  }

  private unindex({ key, record }: StoredJob): void {
    this.allFlows.remove(key, record.status);
    this.perFlow.get(record.flow_id)?.remove(key, record.status);
  }

  private flowIndexes(flowId: string): JobIndexes {
    let indexes = this.perFlow.get(flowId);
    if (!indexes) {
      indexes = new JobIndexes();
      this.perFlow.set(flowId, indexes);
    }
    return indexes;
  }
}

interface StoredJob {
  record: JobRecord;
  /** The one object every index the job is in holds; indexes compare keys, never read records. */
  readonly key: JobKey;
}

interface EventLog {
  /** Ascending by seq; truncation removes from the front. */
  events: JobEvent[];
  /** Survives truncation, so a fully truncated log still knows where it ended. */
  lastSeq: number;
}

const sameListPosition = (a: JobRecord, b: JobRecord): boolean =>
  a.created_at === b.created_at && a.flow_id === b.flow_id && a.status === b.status;

/** A set of jobs (all of them, or one flow's) sorted as a whole and per status. */
class JobIndexes {
  readonly all = new SortedKeys();
  private readonly byStatus = new Map<JobStatus, SortedKeys>();

  add(key: JobKey, status: JobStatus): void {
    this.all.insert(key);
    let keys = this.byStatus.get(status);
    if (!keys) {
      keys = new SortedKeys();
      this.byStatus.set(status, keys);
    }
    keys.insert(key);
  }

  remove(key: JobKey, status: JobStatus): void {
    this.all.remove(key);
    this.byStatus.get(status)?.remove(key);
  }

  removeAll(jobIds: ReadonlySet<string>): void {
    this.all.removeAll(jobIds);
    for (const keys of this.byStatus.values()) keys.removeAll(jobIds);
  }

  select(status: JobStatus | undefined): SortedKeys | undefined {
    return status === undefined ? this.all : this.byStatus.get(status);
  }
}

/**
 * Job keys in ascending `(created_at, job_id)` order. A plain array: new jobs arrive at the newest end (a push),
 * status moves mostly touch recent jobs (a short splice), and ranks are positions, so a count is two binary searches.
 */
class SortedKeys {
  private keys: JobKey[] = [];

  get size(): number {
    return this.keys.length;
  }

  at(position: number): JobKey {
    return this.keys[position]!;
  }

  insert(key: JobKey): void {
    const last = this.keys.at(-1);
    if (!last || compareKeys(last, key) < 0) this.keys.push(key);
    else this.keys.splice(this.firstAtOrAfter(key), 0, key);
  }

  remove(key: JobKey): void {
    const position = this.firstAtOrAfter(key);
    if (this.keys[position]?.job_id === key.job_id) this.keys.splice(position, 1);
  }

  removeAll(jobIds: ReadonlySet<string>): void {
    this.keys = this.keys.filter((key) => !jobIds.has(key.job_id));
  }

  /** Position of the first key `>= key` (size when none). */
  firstAtOrAfter(key: JobKey): number {
    return firstIndexWhere(this.keys.length, (i) => compareKeys(this.keys[i]!, key) >= 0);
  }

  /** Position of the first key `> key` (size when none). */
  firstAfter(key: JobKey): number {
    return firstIndexWhere(this.keys.length, (i) => compareKeys(this.keys[i]!, key) > 0);
  }

  *newestFirst(): Generator<JobKey> {
    for (let i = this.keys.length - 1; i >= 0; i--) yield this.keys[i]!;
  }

  toArray(): readonly JobKey[] {
    return this.keys;
  }
}

/**
 * One page of a sorted index. The date bounds cut a range `[low, high)` of positions, whose width is `total`;
 * the page starts `offset` positions into that range, or just past the cursor's key, and walks it in `order`.
 */
function pageOf(keys: SortedKeys, query: JobQuery): { keys: JobKey[]; total: number; next: string | null } {
  // "" sorts before every job_id, so (bound, "") is the first key at that instant.
  const low =
    query.created_after === undefined
      ? 0
      : keys.firstAtOrAfter({
          created_at: normalizeTimeBound("created_after", query.created_after),
          job_id: "",
        });
  const high =
    query.created_before === undefined
      ? keys.size
      : keys.firstAtOrAfter({
          created_at: normalizeTimeBound("created_before", query.created_before),
          job_id: "",
        });
  const total = Math.max(0, high - low);
  const cursor = query.cursor === undefined ? undefined : decodeJobCursor(query.cursor);
  const page: JobKey[] = [];
  const limit = Math.max(0, query.limit);

  if (query.order === "asc") {
    let position = cursor ? Math.max(low, keys.firstAfter(cursor)) : low + Math.max(0, query.offset);
    for (; position < high && page.length < limit; position++) page.push(keys.at(position));
    const last = page.at(-1);
    return { keys: page, total, next: last && position < high ? encodeJobCursor(last) : null };
  }
  let position = cursor
    ? Math.min(high, keys.firstAtOrAfter(cursor)) - 1
    : high - 1 - Math.max(0, query.offset);
  for (; position >= low && page.length < limit; position--) page.push(keys.at(position));
  const last = page.at(-1);
  return { keys: page, total, next: last && position >= low ? encodeJobCursor(last) : null };
}

function compareKeys(a: JobKey, b: JobKey): number {
  return compareStrings(a.created_at, b.created_at) || compareStrings(a.job_id, b.job_id);
}

// Code-unit order, which equals SQLite's BINARY collation for the ASCII ids and timestamps the contract allows.
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Smallest `i` in `[0, length)` with `test(i)` true, given that `test` is false then true; `length` when never. */
function firstIndexWhere(length: number, test: (i: number) => boolean): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (test(mid)) high = mid;
    else low = mid + 1;
  }
  return low;
}
