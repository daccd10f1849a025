import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs, DEFAULT_BACKOFF } from '../../agent/backoff.ts';

/** Reconnect delays: exponential, fully jittered, never above the 60 s cap. */
describe('backoff', () => {
  it('doubles the ceiling from 1 s and caps it at 60 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 30, 5000].map((n) => backoffCeilingMs(n))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000, 60000]);
    expect(DEFAULT_BACKOFF.capMs).toBe(60_000);
  });

  it('draws every delay in [0, ceiling) - full jitter', () => {
    for (let attempt = 0; attempt < 40; attempt++) {
      expect(backoffDelayMs(attempt, DEFAULT_BACKOFF, () => 0)).toBe(0);
      expect(backoffDelayMs(attempt, DEFAULT_BACKOFF, () => 0.999999)).toBeLessThan(backoffCeilingMs(attempt));
      expect(backoffDelayMs(attempt, DEFAULT_BACKOFF, () => 0.5)).toBe(Math.floor(backoffCeilingMs(attempt) / 2));
    }
  });

  it('spreads a fleet: 1,000 draws at the cap are not all alike and stay within 60 s', () => {
    const draws = Array.from({ length: 1000 }, () => backoffDelayMs(20));
    expect(Math.max(...draws)).toBeLessThan(60_000);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(new Set(draws).size).toBeGreaterThan(900);
  });

  it('honours a smaller cap', () => {
    expect(backoffCeilingMs(10, { baseMs: 1000, capMs: 1000 })).toBe(1000);
  });
});
