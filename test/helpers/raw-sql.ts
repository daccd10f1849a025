import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { TEST_PROVIDER } from './server.ts';
import type { TestDatabase } from './server.ts';

/** rawSql runs one statement straight against the server's database (to tamper with or inspect rows as an attacker or a DBA would). */
export async function rawSql<T = Record<string, unknown>>(db: TestDatabase, dataDir: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (TEST_PROVIDER === 'sqlite') {
    const conn = new Database(path.join(dataDir, 'vigil.db'));
    conn.pragma('busy_timeout = 10000');
    try {
      const stmt = conn.prepare(sql.replace(/\$\d+/g, '?'));
      return stmt.reader ? (stmt.all(...params) as T[]) : (stmt.run(...params), []);
    } finally {
      conn.close();
    }
  }
  const client = new pg.Client({ connectionString: db.pg!.url });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as T[];
  } finally {
    await client.end();
  }
}
