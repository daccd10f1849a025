/**
 * Reconnect delays: exponential backoff with full jitter (AWS architecture
 * blog, "Exponential Backoff And Jitter"): attempt n waits a uniformly random
 * time in [0, min(cap, base * 2^n)], so a fleet that lost its server does not
 * reconnect in lockstep when it comes back.
 */
export interface BackoffOptions {
  baseMs: number;
  capMs: number;
}

/** The agent's defaults: 1 s doubling to the 60 s cap. */
export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 1000, capMs: 60_000 };

/** backoffCeilingMs is the largest delay attempt `attempt` (0-based) may wait. */
export function backoffCeilingMs(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF): number {
  // 2^n overflows to Infinity for huge n; min() keeps the cap either way.
  return Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt));
}

/** backoffDelayMs draws the wait before reconnect attempt `attempt`; `random` returns [0, 1). */
export function backoffDelayMs(attempt: number, opts: BackoffOptions = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeilingMs(attempt, opts));
}
