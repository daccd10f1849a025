import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/db.ts';
import { createLogger } from '../../server/log.ts';

/** SQLite runs on its own thread: Prisma and the direct statements keep their results and errors, and the event loop stays free meanwhile. */
describe('the SQLite thread', () => {
  let database: Database;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-thread-'));
  const logs: string[] = [];
  beforeAll(async () => {
    database = await openDatabase({ provider: 'sqlite', databaseUrl: `file:${dir}/vigil.db` }, createLogger('info', {}, (l) => logs.push(l)));
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the event loop turning while a long statement runs', async () => {
    let turns = 0;
    let counting = true;
    const spin = () => {
      turns++;
      if (counting) setImmediate(spin);
    };
    setImmediate(spin);
    // a few hundred milliseconds of pure SQLite work
    const [row] = await database.sql.query<{ n: number }>(null, 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 3000000) SELECT COUNT(*) AS n FROM c');
    counting = false;
    expect(row!.n).toBe(3_000_000);
    expect(turns).toBeGreaterThan(10);
  });

  it('passes Prisma\'s errors through as Prisma\'s (a unique violation is P2002)', async () => {
    const data = { id: 'ch-1', name: 'same', kind: 'webhook', config: 'v1:x' };
    await database.db.notificationChannel.create({ data });
    await expect(database.db.notificationChannel.create({ data: { ...data, id: 'ch-2' } })).rejects.toMatchObject({ code: 'P2002' });
  });

  it('rejects a failing direct statement with SQLite\'s message and code, and runs the next one normally', async () => {
    await expect(database.sql.query(null, 'INSERT INTO "NotificationChannel" (id, name, kind, config, "createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)', ['ch-3', 'same', 'webhook', 'v1:x', '2026-01-01T00:00:00.000+00:00', '2026-01-01T00:00:00.000+00:00'])).rejects.toMatchObject({
      code: 'SQLITE_CONSTRAINT_UNIQUE',
      message: expect.stringMatching(/UNIQUE constraint failed: NotificationChannel.name/),
    });
    expect(await database.sql.query(null, 'SELECT name FROM "NotificationChannel" ORDER BY id')).toEqual([{ name: 'same' }]);
  });

  it('rolls a Prisma transaction back on the thread when it fails', async () => {
    await expect(
      database.db.$transaction(async (tx) => {
        await tx.notificationChannel.create({ data: { id: 'ch-4', name: 'in-tx', kind: 'webhook', config: 'v1:x' } });
        throw new Error('abandon');
      }),
    ).rejects.toThrow('abandon');
    expect(await database.db.notificationChannel.count({ where: { id: 'ch-4' } })).toBe(0);
    expect(logs.filter((l) => l.includes('SQLite thread stopped'))).toEqual([]);
  });
});
