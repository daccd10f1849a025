import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { SQLITE_CACHE_KIB } from '../../server/db.ts';

/** The settings the SQLite connection runs with: each one is load-bearing (durability, speed, integrity). */
describe('the SQLite connection', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t?.close());

  const pragma = async (name: string) => {
    const [row] = (await t.app.services.db.$queryRawUnsafe(`PRAGMA ${name}`)) as Array<Record<string, unknown>>;
    return Number(Object.values(row!)[0]) || String(Object.values(row!)[0]);
  };

  it('runs WAL with synchronous=NORMAL (1), foreign keys on, a 10 s busy timeout and a 64 MiB page cache', async () => {
    expect(await pragma('journal_mode')).toBe('wal');
    expect(await pragma('synchronous')).toBe(1);
    expect(await pragma('foreign_keys')).toBe(1);
    expect(await pragma('busy_timeout')).toBe(10_000);
    expect(await pragma('cache_size')).toBe(-SQLITE_CACHE_KIB);
    expect(SQLITE_CACHE_KIB).toBe(65_536);
  });
});
