/**
 * Two globals the shared code (core/, service/, api/, typed against Node) uses and @cloudflare/workers-types
 * leaves out or types narrowly. Declared for the Workers type check only:
 * - `setImmediate` exists in workerd only with `nodejs_compat`, which this Worker does not enable. The shared code
 *   only calls it after `typeof globalThis.setImmediate === "function"` and falls back to `setTimeout(fn, 0)`;
 *   it is declared as Node declares it because that check does not narrow inside the closures that call it.
 * - `clearTimeout(undefined)` is a no-op everywhere; the Workers types only admit `number | null`.
 */
declare global {
  function setImmediate(callback: () => void): unknown;
  function clearTimeout(timeoutId: number | undefined): void;
}

export {};
