import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from '../../server/db.ts';
import { createLogger } from '../../server/log.ts';
import { COLUMNS, model, sqliteUpdateFromJson } from '../../server/sql.ts';
import { FINISH_JOBS } from '../../server/engine/finish-batch.ts';

/**
 * On SQLite the hot paths hand their rows to the database as one JSON parameter
 * (jsonb_each): every value must come back as it went in, and the bulk update
 * must find its rows by primary key whatever the list's length.
 */
describe('SQLite statements fed as JSON', () => {
  let database: Database;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-sqljson-'));
  beforeAll(async () => {
    database = await openDatabase({ provider: 'sqlite', databaseUrl: `file:${dir}/vigil.db` }, createLogger('warn', {}, () => undefined));
  });
  afterAll(async () => {
    await database?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const at = new Date('2026-12-07T01:02:03.456Z');
  const awkward = ['plain', '123', '', 'quote " and \\\\ backslash', 'multi\nline\ttabbed', 'unicode ✓ échec 日本', '[1,2]', 'null', "it's"];

  it('writes, reads, updates and deletes every kind of value unchanged', async () => {
    const { sql, db } = database;
    const rows = awkward.map((message, i) => ({ id: `ev-${i}`, source: 'system', severity: 'info', message, metadata: JSON.stringify({ i, message }), hostId: i % 2 ? null : `h-${i}`, createdAt: at }));
    await sql.transaction((tx) => sql.insertMany(tx, 'Event', COLUMNS.Event, rows));
    const back = await db.event.findMany({ orderBy: { id: 'asc' } });
    expect(back.map((e) => [e.id, e.message, e.metadata, e.hostId, e.createdAt.toISOString()])).toEqual(rows.map((r) => [r.id, r.message, r.metadata, r.hostId, at.toISOString()]));

    const read = await sql.transaction((tx) => sql.rowsWhere(tx, 'Event', 'message', ['123', 'null', "it's", 'missing']));
    expect(read.map((r) => r.message).sort()).toEqual(['123', "it's", 'null']);

    const later = new Date('2027-01-01T00:00:00.000Z');
    const updated = await sql.transaction((tx) =>
      sql.updateReturning(
        tx,
        { table: 'Event', columns: [['id', 'text'], ['message', 'text'], ['at', 'time'], ['n', 'int']], rows: [['ev-0', 'renamed "0"', later, 7], ['ev-3', null, later, null], ['nope', 'x', later, 1]], set: `message = COALESCE(v."message", "Event"."message") || '#' || COALESCE(v."n", '-'), "createdAt" = v."at"`, where: '"Event"."id" = v."id"' },
        ['id', 'message', 'createdAt'],
      ),
    );
    expect(updated.map((r) => model<{ id: string; message: string; createdAt: Date }>(r, { dates: ['createdAt'] })).map((r) => [r.id, r.message, r.createdAt.toISOString()]).sort()).toEqual([
      ['ev-0', 'renamed "0"#7', later.toISOString()],
      ['ev-3', `${awkward[3]}#-`, later.toISOString()],
    ]);

    await sql.transaction((tx) => sql.deleteByIds(tx, 'Event', ['ev-1', 'ev-2', 'not-there']));
    expect(await db.event.count()).toBe(awkward.length - 2);
  });

  it('finds the rows of a bulk update by primary key, not by scanning another index with the list inside', async () => {
    const plan = await database.sql.query<{ detail: string }>(null, `EXPLAIN QUERY PLAN ${sqliteUpdateFromJson(FINISH_JOBS, '"Job"."id" AS "id"')}`, ['[]']);
    const details = plan.map((p) => p.detail);
    expect(details).toContainEqual(expect.stringMatching(/^SEARCH Job USING (COVERING )?INDEX sqlite_autoindex_Job_1 \(id=\?\)/));
    expect(details.filter((d) => /^(SCAN|SEARCH) Job\b/.test(d))).toHaveLength(1);
  });
});
