import { z } from "zod";

/**
 * Waits configured in milliseconds; an hour is far beyond any debounce or window a flow should hold open (and
 * well inside the 24 hours any wait is held to, core/timers.ts). A flow whose config passes it fails validation,
 * naming the field.
 */
export const MAX_WAIT_MS = 3_600_000;

export const WaitMs = z.number().min(0).max(MAX_WAIT_MS);
export const PositiveWaitMs = z.number().positive().max(MAX_WAIT_MS);
