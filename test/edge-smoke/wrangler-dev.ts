import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * `wrangler dev` on 127.0.0.1 and a free port, the way `npm run dev:worker` starts it, kept off the network:
 * local mode, no metrics, no banner (whose update check asks the npm registry), no `Request.cf` download.
 * State goes to a fresh temporary directory, so every run starts from the demo flows alone.
 */
export interface WranglerDev {
  url: string;
  /** Everything wrangler printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

export const OFFLINE_ENV: Record<string, string> = {
  WRANGLER_SEND_METRICS: "false",
  WRANGLER_HIDE_BANNER: "true",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
};

const WRANGLER = join(process.cwd(), "node_modules", "wrangler", "bin", "wrangler.js");

export async function startWranglerDev(timeoutMs = 90_000): Promise<WranglerDev> {
  const port = await freePort();
  const persistTo = await mkdtemp(join(tmpdir(), "routilux-wrangler-"));
  const child = spawn(
    process.execPath,
    [
      WRANGLER,
      "dev",
      "--local",
      "--ip",
      "127.0.0.1",
      "--port",
      String(port),
      "--inspector-port",
      String(await freePort()),
      "--persist-to",
      persistTo,
      "--show-interactive-dev-session=false",
    ],
    { env: { ...process.env, ...OFFLINE_ENV }, stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  let log = "";
  child.stdout?.on("data", (chunk) => {
    log += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    log += chunk;
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopProcessGroup(child);
    await rm(persistTo, { recursive: true, force: true });
  };
  try {
    await waitUntilHealthy(url, child, timeoutMs);
  } catch (error) {
    await stop();
    throw new Error(
      `${error instanceof Error ? error.message : String(error)}\n--- wrangler output ---\n${log}`,
    );
  }
  return { url, output: () => log, stop };
}

async function waitUntilHealthy(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/api/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`wrangler dev did not answer /api/health within ${timeoutMs} ms`);
}

/** wrangler starts workerd children; the whole group (ours alone, started detached) goes. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const killed = setTimeout(() => {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }, 5000);
  await exited;
  clearTimeout(killed);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
