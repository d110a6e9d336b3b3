import {
  type Breakpoint,
  type BreakpointCreate,
  BreakpointCreateSchema,
  breakpointRecord,
  checkBreakpointCount,
} from "../core/breakpoints.js";
import { armBreakpoint } from "../core/debugger.js";
import { NotFoundError } from "../core/errors.js";
import type { Store } from "./store.js";

type BreakpointStore = Pick<Store, "listBreakpoints" | "saveBreakpoint" | "deleteBreakpoint">;

/**
 * The breakpoints of a finished job that no debugger holds any more (only the store knows the job): they are
 * stored, listed, toggled and deleted like those of a live job, and never hit. Clients such as the Overseer UI
 * set breakpoints on whatever job is shown, finished or not. The caller checks that the job exists.
 */
export class StoredBreakpoints {
  constructor(
    private readonly store: BreakpointStore,
    private readonly maxBreakpointsPerJob: number | undefined,
  ) {}

  list(job_id: string): Promise<Breakpoint[]> {
    return this.store.listBreakpoints(job_id) as Promise<Breakpoint[]>;
  }

  /** Checked as on a live job: the limit, and a condition or logpoint message that does not parse (422). */
  async create(job_id: string, breakpoint_id: string, create: BreakpointCreate): Promise<Breakpoint> {
    checkBreakpointCount((await this.list(job_id)).length, 1, this.maxBreakpointsPerJob);
    const { record } = armBreakpoint(
      breakpointRecord(breakpoint_id, job_id, BreakpointCreateSchema.parse(create)),
    );
    await this.store.saveBreakpoint(record);
    return record;
  }

  async setEnabled(job_id: string, breakpoint_id: string, enabled: boolean): Promise<Breakpoint> {
    const breakpoint = { ...(await this.#get(job_id, breakpoint_id)), enabled };
    await this.store.saveBreakpoint(breakpoint);
    return breakpoint;
  }

  async delete(job_id: string, breakpoint_id: string): Promise<void> {
    if (!(await this.store.deleteBreakpoint(job_id, breakpoint_id))) {
      throw new NotFoundError("breakpoint", breakpoint_id);
    }
  }

  async #get(job_id: string, breakpoint_id: string): Promise<Breakpoint> {
    const found = (await this.list(job_id)).find((bp) => bp.breakpoint_id === breakpoint_id);
    if (!found) throw new NotFoundError("breakpoint", breakpoint_id);
    return found;
  }
}
