/**
 * A client-side clock for relative times: it ticks every 30 s so a tab left
 * open stays true ("3m ago" becomes "33m ago" without a reload).
 */
export const TICK_MS = 30_000;

class Clock {
  now = $state(Date.now());

  constructor() {
    if (typeof window !== 'undefined') setInterval(() => (this.now = Date.now()), TICK_MS);
  }
}

export const clock = new Clock();
