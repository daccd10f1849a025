import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { monotonicFactory } from 'ulid';

/** Seeds a fleet straight into the database for benchmarks: hosts with known agent tokens, schedules, queued jobs. */
export interface SeededHost {
  id: string;
  token: string;
  schedules: Array<{ id: string; jobs: string[] }>;
}
export interface Seeded {
  hosts: SeededHost[];
  total: number;
}

const ulid = monotonicFactory();

export async function seedFleet(opts: { hosts: number; perHost: number; jobsPerSchedule?: number; prefix?: string; sqliteFile?: string; pgUrl?: string }): Promise<Seeded> {
  const now = new Date().toISOString();
  const hosts: SeededHost[] = [];
  const rows = { host: [] as unknown[][], schedule: [] as unknown[][], job: [] as unknown[][] };
  for (let h = 0; h < opts.hosts; h++) {
    const token = 'vga_' + randomBytes(24).toString('base64url');
    const host: SeededHost = { id: ulid(), token, schedules: [] };
    rows.host.push([host.id, `${opts.prefix ?? 'bench'}-${String(h).padStart(4, '0')}`, createHash('sha256').update(token).digest('hex'), now, now]);
    for (let s = 0; s < opts.perHost; s++) {
      const schedule = { id: ulid(), jobs: [] as string[] };
      rows.schedule.push([schedule.id, host.id, 'backup', '0 2 * * *', 'UTC', JSON.stringify([`/data/${s}`]), now, now]);
      for (let j = 0; j < (opts.jobsPerSchedule ?? 2); j++) {
        const id = ulid();
        schedule.jobs.push(id);
        rows.job.push([id, host.id, 'backup', 'queued', 'schedule', schedule.id, JSON.stringify({ paths: [`/data/${s}`] }), now]);
      }
      host.schedules.push(schedule);
    }
    hosts.push(host);
  }
  const sql = {
    host: 'INSERT INTO "Host" (id, name, "agentTokenHash", "createdAt", "updatedAt") VALUES ',
    schedule: 'INSERT INTO "Schedule" (id, "hostId", kind, cron, timezone, paths, "createdAt", "updatedAt") VALUES ',
    job: 'INSERT INTO "Job" (id, "hostId", kind, status, actor, "scheduleId", args, "createdAt") VALUES ',
  };
  if (opts.sqliteFile) {
    const db = new Database(opts.sqliteFile);
    db.pragma('busy_timeout = 10000');
    db.transaction(() => {
      for (const [table, list] of Object.entries(rows) as Array<[keyof typeof sql, unknown[][]]>) {
        const n = list[0]?.length ?? 0;
        const stmt = db.prepare(sql[table] + '(' + Array(n).fill('?').join(',') + ')');
        for (const r of list) stmt.run(...r);
      }
    })();
    db.close();
  } else {
    const client = new pg.Client({ connectionString: opts.pgUrl });
    await client.connect();
    await client.query('BEGIN');
    for (const [table, list] of Object.entries(rows) as Array<[keyof typeof sql, unknown[][]]>) {
      for (let i = 0; i < list.length; i += 1000) {
        const chunk = list.slice(i, i + 1000);
        const width = chunk[0]!.length;
        const values = chunk.map((_, r) => '(' + Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(',') + ')').join(',');
        await client.query(sql[table] + values, chunk.flat().map((v, idx) => (table !== 'host' && idx % width === width - 1) || (table === 'host' && idx % width >= 3) || (table === 'schedule' && idx % width === 6) ? new Date(String(v)) : v));
      }
    }
    await client.query('COMMIT');
    await client.end();
  }
  return { hosts, total: opts.hosts * opts.perHost };
}
