import { type Config, loadConfig } from "../config.js";
import type { JobObject } from "./job-object.js";
import type { RegistryObject } from "./registry-object.js";

/** The Worker's bindings, as wrangler.toml declares them, plus `ROUTILUX_*` variables and secrets. */
export interface EdgeEnv {
  JOBS: DurableObjectNamespace<JobObject>;
  REGISTRY: DurableObjectNamespace<RegistryObject>;
  /** Swagger UI's files (wrangler.toml `[assets]`); absent when a deployment leaves them out. */
  ASSETS?: Fetcher;
  /** `ROUTILUX_*` variables (`[vars]`) and secrets (`wrangler secret put`). */
  [variable: string]: unknown;
}

/** The registry is one object for the whole deployment. */
export const REGISTRY_NAME = "registry";

/** The configuration from the Worker's text bindings; the same `loadConfig` as Node and Bun. */
export function configFromEnv(env: EdgeEnv): Config {
  const variables: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (typeof value === "string") variables[name] = value;
  return loadConfig(variables);
}

export const registryOf = (env: EdgeEnv) => env.REGISTRY.getByName(REGISTRY_NAME);
export const jobObjectOf = (env: EdgeEnv, job_id: string) => env.JOBS.getByName(job_id);
