import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import type { JobEvent, JobRecord, JobStatus } from "../../src/core/types.js";

/**
 * `routilux serve` as a real child process (`node --import tsx src/entry/cli.ts serve`) on a data directory of the
 * test's, driven over HTTP — so that a test can kill it the hard way and start it again on the same files.
 */

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const LISTENING = /Routilux listening on (http:\/\/\S+)/;
/** tsx compiles the whole server on each start; on a loaded CI machine that takes a while. */
const START_TIMEOUT_MS = 90_000;

export interface EventPage {
  events: JobEvent[];
  last_seq: number;
  oldest_seq: number;
}

export interface JobPage {
  jobs: JobRecord[];
  total: number;
  limit: number;
  offset: number;
  next_cursor: string | null;
}

export class ServerProcess {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly output: { text: string },
  ) {}

  /** Starts the server on `dataDir` with SQLite and a free port; resolves once it says where it listens. */
  static async start(dataDir: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", "src/entry/cli.ts", "serve"], {
      cwd: REPO,
      env: {
        ...process.env,
        ROUTILUX_PORT: "0",
        ROUTILUX_HOST: "127.0.0.1",
        ROUTILUX_DATA_DIR: dataDir,
        ROUTILUX_STORE: "sqlite",
        ROUTILUX_LOG_LEVEL: "error",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output = { text: "" };
    const collect = (chunk: Buffer) => {
      output.text += chunk.toString();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const url = await new Promise<string>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        child.off("error", onError);
        child.off("exit", onExit);
        child.stdout!.off("data", onData);
      };
      const fail = (reason: string) => {
        settle();
        child.kill("SIGKILL");
        reject(new Error(`routilux serve did not start: ${reason}\n${output.text}`));
      };
      const onError = (error: Error) => fail(error.message);
      const onExit = (code: number | null, signal: string | null) => fail(`exited (${code ?? signal})`);
      const onData = () => {
        const match = LISTENING.exec(output.text);
        if (!match) return;
        settle();
        resolve(match[1]!);
      };
      const timer = setTimeout(
        () => fail(`no 'listening on' line within ${START_TIMEOUT_MS} ms`),
        START_TIMEOUT_MS,
      );
      child.once("error", onError);
      child.once("exit", onExit);
      child.stdout!.on("data", onData);
    });
    return new ServerProcess(url, child, output);
  }

  /** Everything the process printed so far. */
  get printed(): string {
    return this.output.text;
  }

  /** SIGKILL: no shutdown handler runs, nothing is flushed or closed — a crash. */
  async kill(): Promise<void> {
    await this.#stop("SIGKILL");
  }

  /** SIGTERM: the server's own graceful shutdown; SIGKILL if it takes longer than 15 s. */
  async stop(): Promise<void> {
    await this.#stop("SIGTERM");
  }

  async #stop(signal: NodeJS.Signals): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = once(this.child, "exit");
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  }

  /** JSON in, JSON out; throws on a status other than `expected`. */
  async request<T>(method: string, path: string, body?: unknown, expected = [200, 201, 204]): Promise<T> {
    const response = await fetch(this.url + path, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!expected.includes(response.status)) {
      throw new Error(`${method} ${path}: ${response.status} ${text}`);
    }
    return (text === "" ? undefined : JSON.parse(text)) as T;
  }

  startJob(
    flow_id: string,
    entry_params: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): Promise<JobRecord> {
    return this.request<JobRecord>("POST", "/api/jobs", {
      flow_id,
      entry_routine_id: "source",
      entry_params,
      ...extra,
    });
  }

  job(job_id: string): Promise<JobRecord> {
    return this.request<JobRecord>("GET", `/api/jobs/${job_id}`);
  }

  /** A job's whole log (the API caps a page at 10 000 events; these jobs log far fewer). */
  events(job_id: string): Promise<EventPage> {
    return this.request<EventPage>("GET", `/api/jobs/${job_id}/events?since=0&limit=10000`);
  }

  jobPage(query: string): Promise<JobPage> {
    return this.request<JobPage>("GET", `/api/jobs?${query}`);
  }

  /** Polls until the job has one of `statuses`; bounded. */
  async waitForStatus(
    job_id: string,
    statuses: readonly JobStatus[],
    timeoutMs = 30_000,
  ): Promise<JobRecord> {
    return this.waitFor(`job ${job_id} ${statuses.join("|")}`, timeoutMs, async () => {
      const job = await this.job(job_id);
      return statuses.includes(job.status) ? job : undefined;
    });
  }

  /** Polls `probe` every 20 ms until it returns a value; throws after `timeoutMs`. */
  async waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}
