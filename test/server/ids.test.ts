import { describe, expect, it } from 'vitest';
import { decodeTime, isValid } from 'ulid';
import { newId } from '../../server/ids.ts';

describe('newId', () => {
  it('returns valid, distinct, increasing ULIDs stamped with the current time', () => {
    const before = Date.now();
    const ids = Array.from({ length: 5000 }, () => newId());
    const after = Date.now();
    expect(ids.every((id) => isValid(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(decodeTime(ids[0]!)).toBeGreaterThanOrEqual(before);
    expect(decodeTime(ids.at(-1)!)).toBeLessThanOrEqual(after);
  });

  it('draws the random part from the whole alphabet (pooled randomness is not stuck)', async () => {
    // the first random character of each new millisecond: over many milliseconds every one of the 32 symbols shows up
    const seen = new Set<string>();
    for (let i = 0; i < 400 && seen.size < 32; i++) {
      const start = Date.now();
      while (Date.now() === start) {
        // wait for the next millisecond, so the factory draws fresh randomness instead of incrementing
      }
      seen.add(newId()[10]!);
    }
    expect(seen.size).toBe(32);
  });
});
