import { describe, expect, it } from 'vitest';
import { createEngine } from '../../../server/logscan/engine.ts';

/** Cooldown per (host, rule), token bucket per host, counters that add up. */
describe('log-scan engine', () => {
  it('emits the first hit, suppresses repeats inside the cooldown, emits again after it', () => {
    const e = createEngine({ rate: 20, burst: 100 });
    const rows: Array<[number, string]> = [
      [0, 'emit'], // first hit
      [1_000, 'cooldown'], // 1 s into a 60 s cooldown
      [59_999, 'cooldown'], // still inside
      [60_000, 'emit'], // cooldown over
    ];
    for (const [at, expected] of rows) expect(e.decide('h1', 'r1', 60_000, at), `at ${at}`).toBe(expected);
    expect(e.stats().total).toMatchObject({ matched: 4, emitted: 2, suppressed: 2, dropped: 0 });
  });

  it('keeps cooldowns apart per host and per rule', () => {
    const e = createEngine({ rate: 20, burst: 100 });
    expect(e.decide('h1', 'r1', 60_000, 0)).toBe('emit');
    expect(e.decide('h2', 'r1', 60_000, 0)).toBe('emit'); // other host
    expect(e.decide('h1', 'r2', 60_000, 0)).toBe('emit'); // other rule
    expect(e.decide('h1', 'r1', 60_000, 0)).toBe('cooldown');
  });

  it('lets a burst through, then drops until tokens refill at the rate', () => {
    const e = createEngine({ rate: 20, burst: 100 });
    const at0 = Array.from({ length: 150 }, () => e.decide('h1', 'r', 0, 0));
    expect(at0.filter((d) => d === 'emit')).toHaveLength(100);
    expect(at0.filter((d) => d === 'dropped')).toHaveLength(50);
    // 1 s later: 20 new tokens
    const at1 = Array.from({ length: 50 }, () => e.decide('h1', 'r', 0, 1_000));
    expect(at1.filter((d) => d === 'emit')).toHaveLength(20);
    // another host has its own bucket
    expect(e.decide('h2', 'r', 0, 1_000)).toBe('emit');
  });

  it('accounts for every hit: matched = emitted + suppressed + dropped, per host and in total', () => {
    const e = createEngine({ rate: 20, burst: 100 });
    for (let i = 0; i < 10_000; i++) e.decide('h1', `r${i % 3}`, i % 2 ? 0 : 500, Math.floor(i / 10));
    for (let i = 0; i < 300; i++) e.decide('h2', 'r', 0, 0);
    const { total, perHost } = e.stats();
    for (const c of [total, ...perHost]) expect(c.matched).toBe(c.emitted + c.suppressed + c.dropped);
    expect(perHost.map((h) => [h.hostId, h.matched])).toEqual([['h1', 10_000], ['h2', 300]]);
    expect(total.matched).toBe(10_300);
  });

  it('does not arm the cooldown on a dropped hit', () => {
    const e = createEngine({ rate: 1, burst: 1 });
    expect(e.decide('h', 'a', 60_000, 0)).toBe('emit'); // takes the only token
    expect(e.decide('h', 'b', 60_000, 0)).toBe('dropped'); // no token: rule b not in cooldown afterwards
    expect(e.decide('h', 'b', 60_000, 1_000)).toBe('emit');
  });
});
