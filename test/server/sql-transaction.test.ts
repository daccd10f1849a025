import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/db.ts';
import { createLogger } from '../../server/log.ts';
import { COLUMNS } from '../../server/sql.ts';
import { newId } from '../../server/ids.ts';
import { createTempPg, type TempPg } from '../helpers/pg.ts';

/** Sql.transaction: all of its statements or none, on both providers; on SQLite without a Prisma transaction, and alone on the connection. */
function useDatabase(provider: 'sqlite' | 'postgresql'): () => Database {
  let database: Database;
  let pg: TempPg | undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sql-'));
  beforeAll(async () => {
    pg = provider === 'postgresql' ? await createTempPg() : undefined;
    database = await openDatabase({ provider, databaseUrl: pg?.url ?? `file:${dir}/vigil.db` }, createLogger('warn', {}, () => undefined));
  });
  afterAll(async () => {
    await database?.close();
    await pg?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return () => database;
}

const event = (message: string) => ({ id: newId(), source: 'system', severity: 'info', message, metadata: '{}', hostId: null, createdAt: new Date() });

describe.each(['sqlite', 'postgresql'] as const)('Sql.transaction on %s', (provider) => {
  const db = useDatabase(provider);
  const count = (message: string) => db().db.event.count({ where: { message } });

  it('commits every statement of the function together', async () => {
    const { sql } = db();
    const result = await sql.transaction(async (tx) => {
      await sql.insertMany(tx, 'Event', COLUMNS.Event, [event('tx-commit'), event('tx-commit')]);
      return (await sql.query<{ n: number }>(tx, `SELECT COUNT(*) AS n FROM "Event" WHERE message = ${sql.ph(1)}`, ['tx-commit']))[0]!.n;
    });
    expect(Number(result)).toBe(2);
    expect(await count('tx-commit')).toBe(2);
  });

  it('rolls every statement back when the function throws, and passes the error on', async () => {
    const { sql } = db();
    await expect(
      sql.transaction(async (tx) => {
        await sql.insertMany(tx, 'Event', COLUMNS.Event, [event('tx-rollback')]);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await count('tx-rollback')).toBe(0);
  });
});

describe('Sql.transaction on SQLite', () => {
  const database = useDatabase('sqlite');

  it('refuses Prisma calls on its tx, and keeps other queries out until it ends', async () => {
    const { sql, db } = database();
    await expect(sql.transaction(async (tx) => tx.event.count())).rejects.toThrow(/Sql statements only/);
    let inside = true;
    let seenInside: boolean | null = null;
    const tx = sql.transaction(async (tx) => {
      await sql.insertMany(tx, 'Event', COLUMNS.Event, [event('tx-gate')]);
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setImmediate(r));
      inside = false;
    });
    // a Prisma query issued meanwhile waits for the transaction: it sees the row, and only after the commit
    const outside = db.event.count({ where: { message: 'tx-gate' } }).then((n) => ((seenInside = inside), n));
    await tx;
    expect(await outside).toBe(1);
    expect(seenInside).toBe(false);
  });

  it('keeps statements sent before a transaction out of it, and runs statements sent while one waits after it', async () => {
    const { sql, db } = database();
    const created = Array.from({ length: 20 }, (_, i) => db.event.create({ data: { id: `before-${i}`, source: 'system', severity: 'info', message: 'before', metadata: '{}' } }));
    const failing = sql
      .transaction(async (tx) => {
        await sql.insertMany(tx, 'Event', COLUMNS.Event, [event('inside')]);
        throw new Error('rolled back');
      })
      .then(
        () => 'committed',
        (err: Error) => err.message,
      );
    const after = db.event.count({ where: { message: 'inside' } });
    await Promise.all(created);
    expect(await failing).toBe('rolled back');
    // the twenty were committed on their own, not swallowed by the rollback; the count ran after it
    expect(await db.event.count({ where: { message: 'before' } })).toBe(20);
    expect(await after).toBe(0);
  });
});
