import { getRandomValues } from 'node:crypto';
import { monotonicFactory } from 'ulid';

/**
 * Randomness for the ULID's random part, drawn from the system CSPRNG a
 * kilobyte at a time: the library's default asks for one byte per character
 * (16 calls into crypto per new millisecond), which showed in the engine's
 * profile. Same source, same distribution, one call per 256 characters.
 */
const pool = new Uint32Array(256);
let next = pool.length;
function pooledRandom(): number {
  if (next === pool.length) {
    getRandomValues(pool);
    next = 0;
  }
  return pool[next++]! / 0x1_0000_0000;
}

const ulid = monotonicFactory(pooledRandom);

/** newId returns a ULID (sortable, opaque). */
export function newId(): string {
  return ulid();
}
