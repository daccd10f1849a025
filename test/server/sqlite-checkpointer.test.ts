import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { waitFor } from '../helpers/wait.ts';
import { SYSTEM } from '../../server/audit/audit.ts';

/**
 * WAL checkpoints run on their own thread: committed pages reach the database
 * file within about a second, long before the writer's own backstop (10,000 pages)
 * would checkpoint inside a commit.
 */
describe('the SQLite checkpointer', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
  });
  afterAll(() => t?.close());

  it('copies committed pages from the WAL into the database file in the background', async () => {
    const file = path.join(t.dataDir, 'vigil.db');
    const [pragma] = (await t.app.services.db.$queryRawUnsafe('PRAGMA wal_autocheckpoint')) as Array<{ wal_autocheckpoint: number | bigint }>;
    expect(Number(pragma!.wal_autocheckpoint)).toBe(10_000);
    const before = fs.readFileSync(file);
    for (let i = 0; i < 20; i++) await t.app.services.hosts.enroll(SYSTEM, { name: `ckpt-${i}`, alwaysOn: true, tags: [] });
    // the hosts' rows appear in the main file itself (not only in the -wal file)
    await waitFor(() => fs.readFileSync(file).includes('ckpt-19'), { timeoutMs: 10_000, what: 'the checkpoint' });
    expect(before.includes('ckpt-19')).toBe(false);
  });
});
