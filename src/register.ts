/**
 * `node --import routilux/register …`: lets Node import TypeScript (your routines, their tests) through tsx, the
 * same way `routilux serve` loads them. On Bun it does nothing: Bun runs TypeScript itself.
 */
import { enableTypeScript } from "./entry/load-user-code.js";

await enableTypeScript();
