import { afterAll, expect } from "vitest";
import type { ApiClient } from "../support/server.js";

/**
 * What every hostile test checks after its attack: the process is alive and answering, and nothing reached
 * `Object.prototype`. Call `guardPrototype()` once at the top of a test file.
 */

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

export function guardPrototype(): void {
  afterAll(() => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(PROTOTYPE_KEYS);
  });
}

/** `/api/health` answers 200 within `withinMs`. */
export async function expectHealthy(api: ApiClient, withinMs = 1000): Promise<void> {
  const started = performance.now();
  const response = await api.request("GET", "/api/health");
  expect(response.status).toBe(200);
  expect(performance.now() - started).toBeLessThan(withinMs);
}
