// The offline migrate tool against real databases: a temp SQLite file and a
// throwaway PostgreSQL database on 127.0.0.1:5432 (or $VIGIL_MIGRATE_PG_URL).
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deployMigrations, pgParts, planMigration, prismaDir, readMigrations, scratchPgUrl, schemaPath, type DbTarget,
} from '../../prisma/tools/migrate-engine.ts';
import { PrismaClient } from '../../prisma/generated/sqlite/client.ts';

const root = path.resolve(prismaDir, '..');
const models = async () => [...(await readFile(schemaPath('sqlite'), 'utf8')).matchAll(/^model (\w+) \{/gm)].map((m) => m[1]);
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The committed migrations of a provider: folder name -> sha256 of migration.sql. */
async function committed(provider: 'sqlite' | 'postgresql'): Promise<Map<string, string>> {
  const list = await readMigrations(provider);
  return new Map(list.migrationDirectories.map((d) => [d.path, d.migrationFile.content.tag === 'ok' ? sha256(d.migrationFile.content.value) : '']));
}

/**
 * Run the CLI as npm would; returns exit code, output and what still held the process open once its
 * work was done (trap 6: Prisma's engine keeps a 10 s timer on PostgreSQL that, left alone, holds the
 * process until it fires). `lingering` lists the timers among them: none, for a CLI that ends by itself.
 */
function cli(args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--import', path.join(root, 'test/helpers/report-handles.mjs'), 'prisma/tools/migrate.ts', ...args], {
    cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 55_000,
  });
  const active = /ACTIVE-AFTER-EXIT-CODE (\[.*\])/.exec(res.stderr)?.[1];
  const lingering = active ? (JSON.parse(active) as string[]).filter((r) => r === 'Timeout' || r === 'Immediate') : [];
  return { status: res.status, out: `${res.stdout}${res.stderr}`, lingering };
}

describe('deployMigrations on SQLite', () => {
  let dir: string;
  let target: DbTarget;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-migrate-test-'));
    target = { provider: 'sqlite', url: `file:${path.join(dir, 'nested', 'vigil.db')}` };
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));
  const open = () => new Database(path.join(dir, 'nested', 'vigil.db'), { timeout: 0 });

  it('creates every table and records the migrations', async () => {
    const expected = await committed('sqlite');
    const applied = await deployMigrations(target);
    expect(applied).toEqual([...expected.keys()]);
    const db = open();
    try {
      const tables = db.prepare("select name from sqlite_master where type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining([...(await models()), '_prisma_migrations']));
      const rows = db.prepare('select migration_name, checksum, finished_at, rolled_back_at from _prisma_migrations order by migration_name').all() as
        { migration_name: string; checksum: string; finished_at: string | null; rolled_back_at: string | null }[];
      expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual([...expected.entries()]);
      for (const r of rows) expect(r.finished_at !== null && r.rolled_back_at === null).toBe(true);
    } finally { db.close(); }
  });

  it('leaves no lock behind: the app can write right away', async () => {
    // busy timeout 0: any lock (locking_mode=EXCLUSIVE of the engine's connection) would fail at once
    const db = open();
    try {
      db.pragma('journal_mode = WAL');
      db.exec('BEGIN IMMEDIATE; COMMIT');
    } finally { db.close(); }
    // and the app's own connection with busy timeout 0 too: a write that had to wait for a lock would fail, not wait
    const prisma = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: target.url, timeout: 0 }) });
    try {
      await prisma.user.create({ data: { id: 'u-after-deploy', username: 'after', passwordHash: 'x', role: 'admin' } });
      expect(await prisma.user.count({ where: { id: 'u-after-deploy' } })).toBe(1);
    } finally { await prisma.$disconnect(); }
  });

  it('a second deploy is a no-op that keeps the data', async () => {
    const db = open();
    db.prepare("insert into Host (id, name, agentTokenHash, updatedAt) values ('h1', 'alpha', 'hash', 0)").run();
    db.close();
    expect(await deployMigrations(target)).toEqual([]);
    const again = open();
    try {
      expect(again.prepare('select name from Host where id = ?').pluck().get('h1')).toBe('alpha');
      expect(again.prepare('select count(*) from User').pluck().get()).toBe(1);
      expect(again.prepare('select count(*) from _prisma_migrations').pluck().get()).toBe((await committed('sqlite')).size);
    } finally { again.close(); }
  });

  it('the dev sequence finds no change on the committed state (no files written)', async () => {
    const plan = await planMigration({ provider: 'sqlite', url: `file:${path.join(dir, 'scratch.db')}` }, 'noop', false);
    expect(plan.script).toBeNull();
  });

  it('refuses with P3009 when a failed migration is recorded', async () => {
    const db = open();
    db.prepare('update _prisma_migrations set finished_at = null').run();
    db.close();
    await expect(deployMigrations(target)).rejects.toThrow(/P3009/);
    const after = open(); // and it still released the file
    try { after.exec('BEGIN IMMEDIATE; COMMIT'); } finally { after.close(); }
  });
});

describe('deployMigrations on PostgreSQL', () => {
  const admin = pgParts(scratchPgUrl());
  const name = `vigil_tmp_test_${randomBytes(5).toString('hex')}`;
  const url = Object.assign(new URL(scratchPgUrl()), { pathname: `/${name}` }).toString();
  const target: DbTarget = { provider: 'postgresql', url };
  const adminQuery = async (sql: string) => {
    const c = new pg.Client({ ...admin });
    await c.connect();
    try { return (await c.query(sql)).rows; } finally { await c.end(); }
  };
  const query = async (sql: string) => {
    const c = new pg.Client({ ...admin, database: name });
    await c.connect();
    try { return (await c.query(sql)).rows; } finally { await c.end(); }
  };
  beforeAll(() => adminQuery(`CREATE DATABASE "${name}"`));
  afterAll(() => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));

  it('creates every table and records the migrations', async () => {
    const expected = await committed('postgresql');
    expect(await deployMigrations(target)).toEqual([...expected.keys()]);
    const tables = (await query("select table_name from information_schema.tables where table_schema = 'public'")).map((r) => r.table_name);
    expect(tables).toEqual(expect.arrayContaining([...(await models()), '_prisma_migrations']));
    const rows = await query('select migration_name, checksum from _prisma_migrations where finished_at is not null order by migration_name');
    expect(rows.map((r) => [r.migration_name, r.checksum])).toEqual([...expected.entries()]);
  });

  it('a second deploy is a no-op that keeps the data and leaves no session open', async () => {
    await query(`insert into "Host" (id, name, "agentTokenHash", "updatedAt") values ('h1', 'alpha', 'hash', now())`);
    expect(await deployMigrations(target)).toEqual([]);
    expect(await query(`select name from "Host" where id = 'h1'`)).toEqual([{ name: 'alpha' }]);
    const others = await adminQuery(`select count(*)::int as n from pg_stat_activity where datname = '${name}'`);
    expect(others[0].n).toBe(0);
  });

  it('the deploy CLI uses DATABASE_URL and exits promptly', () => {
    const res = cli(['deploy'], { DATABASE_URL: url });
    expect(res.status, res.out).toBe(0);
    expect(res.out).toMatch(/postgresql database is up to date/);
    expect(res.lingering).toEqual([]); // trap 6: the engine's 10 s timer on PostgreSQL must not hold the process
  });

  it('the dev sequence finds no change on the committed state (no files written)', async () => {
    const scratch = `${name}_dev`;
    await adminQuery(`CREATE DATABASE "${scratch}"`);
    try {
      const plan = await planMigration({ provider: 'postgresql', url: url.replace(`/${name}`, `/${scratch}`) }, 'noop', false);
      expect(plan.script).toBeNull();
    } finally { await adminQuery(`DROP DATABASE IF EXISTS "${scratch}"`); }
    const shadows = await adminQuery("select datname from pg_database where datname like 'vigil_tmp_shadow_%'");
    expect(shadows).toEqual([]); // trap 4: shadow databases are dropped after their pool closed
  });
});

describe('migrate CLI', () => {
  it('check passes on the committed state and exits promptly', () => {
    const res = cli(['check']);
    expect(res.out).toMatch(/OK sqlite/);
    expect(res.out).toMatch(/OK postgresql/);
    expect(res.status).toBe(0);
    expect(res.lingering).toEqual([]);
  });

  it('deploy creates the data dir and the SQLite database', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-migrate-cli-'));
    try {
      const env = { VIGIL_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '' };
      const first = cli(['deploy'], env);
      expect(first.status, first.out).toBe(0);
      expect(first.out).toMatch(/applied \d+ migration/);
      const second = cli(['deploy'], env);
      expect(second.out).toMatch(/up to date/);
      const db = new Database(path.join(dir, 'data', 'vigil.db'), { readonly: true });
      try { expect(db.prepare('select count(*) from _prisma_migrations').pluck().get()).toBeGreaterThan(0); } finally { db.close(); }
    } finally { await rm(dir, { recursive: true, force: true }); }
  });
});
