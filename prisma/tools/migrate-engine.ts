// Prisma migrations without the native schema engine: drives the npm package
// @prisma/schema-engine-wasm through the driver adapters, with the workarounds
// for "the eight traps" of /work/shared/design/PRISMA-OFFLINE.md.
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  bindMigrationAwareSqlAdapterFactory,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
} from '@prisma/driver-adapter-utils';
// type-only: importing the package itself at runtime fails on Node 20 (.wasm ESM)
import type { MigrationList, SchemaEngine, SchemaFilter, SchemasContainer } from '@prisma/schema-engine-wasm';

export type Provider = 'sqlite' | 'postgresql';
/** sqlite: 'file:/abs/path.db' or a plain path; postgresql: 'postgres://...' or 'postgresql://...' */
export interface DbTarget { provider: Provider; url: string }
export type Log = (msg: string) => void;

/** The prisma/ folder (schemas and migrations of both providers). */
export const prismaDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Server that `dev` and `check` create their throwaway PostgreSQL databases on. */
export const scratchPgUrl = () => process.env.VIGIL_MIGRATE_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
/** No externally managed tables or enums. */
export const noFilters: SchemaFilter = { externalTables: [], externalEnums: [] };

/** The provider a database URL belongs to: postgres(ql):// is PostgreSQL, anything else a SQLite file. */
export function providerOf(url: string): Provider {
  return /^postgres(ql)?:\/\//i.test(url) ? 'postgresql' : 'sqlite';
}

/** Absolute path of a provider's schema.prisma. */
export const schemaPath = (provider: Provider) => path.join(prismaDir, provider, 'schema.prisma');
/** Absolute path of a provider's migrations folder. */
export const migrationsDir = (provider: Provider) => path.join(prismaDir, provider, 'migrations');

/** A provider's schema file as the engine wants it. */
export async function readSchema(provider: Provider): Promise<SchemasContainer> {
  const file = schemaPath(provider);
  return { files: [{ path: file, content: await readFile(file, 'utf8') }] };
}

/** The committed migrations of a provider, shaped as the Prisma CLI builds the list (sorted by folder name). */
export async function readMigrations(provider: Provider): Promise<MigrationList> {
  const baseDir = migrationsDir(provider);
  const lockPath = 'migration_lock.toml';
  const lockContent = await readFile(path.join(baseDir, lockPath), 'utf8').catch(() => null);
  const entries = await readdir(baseDir, { withFileTypes: true }).catch(() => []);
  const dirs = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  const migrationDirectories = await Promise.all(dirs.map(async (dir) => ({
    path: dir,
    migrationFile: {
      path: 'migration.sql',
      content: await readFile(path.join(baseDir, dir, 'migration.sql'), 'utf8')
        .then((value) => ({ tag: 'ok' as const, value }))
        .catch((e: Error) => ({ tag: 'error' as const, value: e.message })),
    },
  })));
  return { baseDir, lockfile: { path: lockPath, content: lockContent }, migrationDirectories, shadowDbInitScript: '' };
}

// ---------------------------------------------------------------- wasm loading

type Glue = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');
let gluePromise: Promise<Glue> | undefined;
/** Trap 6: the engine schedules 10 s / 60 s timers and never clears them. */
const timers = new Set<NodeJS.Timeout>();
let openEngines = 0;

/** Import the JS glue, instantiate the .wasm next to it ourselves (Node 20 cannot import .wasm). */
function loadGlue(): Promise<Glue> {
  gluePromise ??= (async () => {
    const glueUrl = import.meta.resolve('@prisma/schema-engine-wasm/schema_engine_bg');
    const glue: Glue = await import(glueUrl);
    const bytes = await readFile(new URL('schema_engine_bg.wasm', glueUrl));
    const imports: WebAssembly.ModuleImports = { ...glue };
    for (const key of Object.keys(imports).filter((k) => k.startsWith('__wbg_setTimeout_'))) {
      imports[key] = (fn: () => void, ms: number) => {
        const t = setTimeout(() => { timers.delete(t); fn(); }, ms >>> 0);
        timers.add(t);
        return t;
      };
    }
    const { instance } = await WebAssembly.instantiate(bytes, { './schema_engine_bg.js': imports });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return gluePromise;
}

// ---------------------------------------------------------------- adapters

type Tracked = Set<SqlDriverAdapter>;

/** Trap 5: remember every connection so it can be closed after free(); make dispose idempotent. */
function track(open: Tracked, adapter: SqlDriverAdapter): SqlDriverAdapter {
  const dispose = adapter.dispose.bind(adapter);
  let done: Promise<void> | undefined;
  adapter.dispose = () => (done ??= (open.delete(adapter), dispose()));
  open.add(adapter);
  return adapter;
}

/** Trap 1: the shadow replay sends whole scripts through argument-less executeRaw; better-sqlite3 needs exec(). */
function scriptsViaExecuteScript(adapter: SqlDriverAdapter): SqlDriverAdapter {
  const executeRaw = adapter.executeRaw.bind(adapter);
  adapter.executeRaw = async (query) =>
    query.args.length === 0 ? (await adapter.executeScript(query.sql), 0) : executeRaw(query);
  return adapter;
}

/** Path of a SQLite target ('file:' prefix optional). */
export const sqlitePath = (url: string) => url.replace(/^file:/, '');

function sqliteFactory(url: string, open: Tracked): SqlMigrationAwareDriverAdapterFactory {
  const inner = new PrismaBetterSqlite3({ url: sqlitePath(url) }); // shadow: ':memory:'
  return {
    provider: 'sqlite',
    adapterName: inner.adapterName,
    connect: async () => track(open, await inner.connect()),
    connectToShadowDb: async () => track(open, scriptsViaExecuteScript(await inner.connectToShadowDb())),
  };
}

/** Reports result fields of type OID 18 as text (OID 25). */
function charAsText<T>(res: T): T {
  for (const r of Array.isArray(res) ? res : [res]) {
    for (const f of (r as pg.QueryResult | undefined)?.fields ?? []) if (f.dataTypeID === 18) f.dataTypeID = 25;
  }
  return res;
}

/** Trap 2: adapter-pg cannot decode pg_catalog's "char" (OID 18), which the schema describer reads. */
class CharAsTextClient extends pg.Client {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override query(...args: any[]): any {
    const query = super.query as (...a: unknown[]) => unknown;
    const cb = args.at(-1);
    if (typeof cb === 'function') {
      args[args.length - 1] = (err: Error | null, res: unknown) => cb(err, err ? res : charAsText(res));
      return query.apply(this, args);
    }
    const out = query.apply(this, args) as Promise<unknown> | undefined;
    return typeof out?.then === 'function' ? out.then(charAsText) : out;
  }
}

interface PgParts { host: string; port: number; user: string; password?: string; database: string; schema?: string }

/** Trap 3: a connectionString overrides `database`, so keep the parts separate. Reads ?schema= too. */
export function pgParts(url: string): PgParts {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname) || u.searchParams.get('host') || 'localhost',
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username) || process.env.PGUSER || os.userInfo().username,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    schema: u.searchParams.get('schema') ?? undefined,
  };
}

/** Connection settings for one database of the server (adapter-pg ignores ?schema=, so set search_path). */
function clientConfig(p: PgParts, database: string): pg.ClientConfig {
  const { host, port, user, password } = p;
  return { host, port, user, password, database, options: p.schema ? `-c search_path="${p.schema}"` : undefined };
}

const poolConfig = (p: PgParts, database: string): pg.PoolConfig => ({ ...clientConfig(p, database), max: 4, Client: CharAsTextClient });

/** Run one statement on its own short-lived connection. */
async function pgExec(p: PgParts, sql: string): Promise<void> {
  const client = new pg.Client(clientConfig(p, p.database));
  await client.connect();
  try { await client.query(sql); } finally { await client.end(); }
}

function pgFactory(url: string, open: Tracked): SqlMigrationAwareDriverAdapterFactory {
  const parts = pgParts(url);
  const opts = parts.schema ? { schema: parts.schema } : undefined;
  const main = new PrismaPg(poolConfig(parts, parts.database), opts);
  return {
    provider: 'postgres',
    adapterName: main.adapterName,
    connect: async () => track(open, await main.connect()),
    // Trap 4: adapter-pg drops the shadow database before closing its pool; close first, then drop.
    connectToShadowDb: async () => {
      const name = `vigil_tmp_shadow_${randomBytes(6).toString('hex')}`;
      await pgExec(parts, `CREATE DATABASE "${name}"`);
      const adapter = await new PrismaPg(poolConfig(parts, name), opts).connect();
      const closePool = adapter.dispose.bind(adapter);
      adapter.dispose = async () => { await closePool(); await pgExec(parts, `DROP DATABASE IF EXISTS "${name}"`); };
      return track(open, adapter);
    },
  };
}

// ---------------------------------------------------------------- engine sessions

/** One engine instance on one database; close() frees it and everything it left open. */
export interface EngineSession {
  engine: SchemaEngine;
  target: DbTarget;
  schema: SchemasContainer;
  close(): Promise<void>;
}

/** Open a schema engine on a database with the provider's schema.prisma as datamodel. */
export async function openEngine(target: DbTarget, log?: Log): Promise<EngineSession> {
  const glue = await loadGlue();
  const schema = await readSchema(target.provider);
  const open: Tracked = new Set();
  const factory = target.provider === 'sqlite' ? sqliteFactory(target.url, open) : pgFactory(target.url, open);
  const onLog = (msg: string) => { if (process.env.VIGIL_MIGRATE_DEBUG) log?.(`engine: ${msg}`); };
  openEngines++;
  let engine: SchemaEngine;
  try {
    const files = schema.files.map((f) => [f.path, f.content] as [string, string]);
    engine = await glue.SchemaEngine.new({ datamodels: files }, onLog, bindMigrationAwareSqlAdapterFactory(factory));
  } catch (e) {
    await release(open);
    throw engineError(e, target, 'start');
  }
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    engine.free();
    await release(open);
  };
  return { engine, target, schema, close };
}

/** After free(): dispose the connections (trap 5), clear the engine's timers when no engine is left (trap 6). */
async function release(open: Tracked): Promise<void> {
  const results = await Promise.allSettled([...open].map((a) => a.dispose()));
  if (--openEngines === 0) {
    for (const t of timers) clearTimeout(t);
    timers.clear();
  }
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

/** A readable Error from what the engine threw (its errors carry the Prisma code, e.g. P3009). */
export function engineError(e: unknown, target: DbTarget, what: string): Error {
  const err = e as { message?: string; code?: string; error_code?: string };
  const code = err?.code ?? err?.error_code;
  const msg = (err?.message ?? String(e)).replace(/\n\s+0: schema_engine_wasm::[\s\S]*$/, ''); // drop the Rust span trace
  const where = target.provider === 'sqlite' ? sqlitePath(target.url) : redact(target.url);
  return new Error(`migrate ${what} failed on ${target.provider} (${where})${code ? ` [${code}]` : ''}: ${msg}`, { cause: e });
}

/** A URL without its password, for messages. */
export const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

/** Run fn on an engine session and always close it. */
export async function withEngine<T>(target: DbTarget, log: Log | undefined, fn: (s: EngineSession) => Promise<T>): Promise<T> {
  const session = await openEngine(target, log);
  try { return await fn(session); } finally { await session.close(); }
}

// ---------------------------------------------------------------- operations

/** Apply every committed migration of the target's provider not applied yet; returns the names applied. Leaves no connection or timer open. */
export async function deployMigrations(target: DbTarget, log: Log = () => {}): Promise<string[]> {
  if (target.provider === 'sqlite') await mkdir(path.dirname(path.resolve(sqlitePath(target.url))), { recursive: true });
  const migrationsList = await readMigrations(target.provider);
  const started = Date.now();
  const applied = await withEngine(target, log, async ({ engine }) => {
    try {
      return (await engine.applyMigrations({ migrationsList, filters: noFilters })).appliedMigrationNames;
    } catch (e) { throw engineError(e, target, 'deploy'); }
  });
  const ms = Date.now() - started;
  log(applied.length ? `applied ${applied.length} migration(s) on ${target.provider} in ${ms} ms: ${applied.join(', ')}`
    : `${target.provider} database is up to date (${migrationsList.migrationDirectories.length} migration(s), ${ms} ms)`);
  return applied;
}

/** What `dev` would write for one provider: the SQL of the next migration (null when the schema is unchanged). */
export interface MigrationPlan { provider: Provider; script: string | null; warnings: string[] }

/**
 * The migrate-dev sequence on a scratch database: applyMigrations (trap 7) -> devDiagnostic (trap 8)
 * -> evaluateDataLoss -> createMigration, then applies the new script to prove it runs.
 */
export async function planMigration(target: DbTarget, name: string, acceptDataLoss: boolean, log?: Log): Promise<MigrationPlan> {
  const migrationsList = await readMigrations(target.provider);
  return withEngine(target, log, async ({ engine, schema }) => {
    try {
      await engine.applyMigrations({ migrationsList, filters: noFilters });
      const { action } = await engine.devDiagnostic({ migrationsList, filters: noFilters });
      if (action.tag === 'reset') throw new Error(`the migration history needs a reset: ${action.reason}`);
      const loss = await engine.evaluateDataLoss({ migrationsList, schema, filters: noFilters });
      if (loss.unexecutableSteps.length) throw new Error(`unexecutable steps:\n${loss.unexecutableSteps.map((s) => `  - ${s.message}`).join('\n')}`);
      const created = await engine.createMigration({ draft: false, migrationName: name, migrationsList, schema, filters: noFilters });
      const script = created.migrationScript;
      // a scratch database is empty, so evaluateDataLoss rarely warns: the script's "Warnings:" header does
      const warnings = [...loss.warnings.map((w) => w.message), ...scriptWarnings(script ?? '')];
      if (warnings.length && !acceptDataLoss) throw new Error(`data loss (rerun with --accept-data-loss):\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
      if (script !== null) {
        const withNew = { ...migrationsList, migrationDirectories: [...migrationsList.migrationDirectories, migrationDir(created.generatedMigrationName, script)] };
        await engine.applyMigrations({ migrationsList: withNew, filters: noFilters });
      }
      return { provider: target.provider, script, warnings };
    } catch (e) { throw engineError(e, target, 'dev'); }
  });
}

/** The "- ..." lines of the leading comment Prisma puts in a migration script that loses data. */
const scriptWarnings = (script: string) =>
  [...(/^\/\*\s*Warnings:([\s\S]*?)\*\//.exec(script)?.[1] ?? '').matchAll(/^\s*- (.+)$/gm)].map((m) => (m[1] ?? '').trim());

/** A migration directory entry for an in-memory migrations list. */
export const migrationDir = (dir: string, sql: string) => ({ path: dir, migrationFile: { path: 'migration.sql', content: { tag: 'ok' as const, value: sql } } });

/** SQL the committed migrations lack to reach the schema ('' when in sync); replays them on a shadow database. */
export async function pendingDiff(target: DbTarget, log?: Log): Promise<string> {
  const migrationsList = await readMigrations(target.provider);
  return withEngine(target, log, async ({ engine, schema }) => {
    try {
      // unlike createMigration (trap 8), diff gets its shadow database without a devDiagnostic first
      const res = await engine.diff({
        from: { tag: 'migrations', ...migrationsList },
        to: { tag: 'schemaDatamodel', ...schema },
        script: true, exitCode: true, filters: noFilters,
      });
      return res.exitCode === 2 ? (res.stdout ?? '').trim() : '';
    } catch (e) { throw engineError(e, target, 'check'); }
  });
}

/** Run fn against a throwaway database of the provider (a temp SQLite file, or a vigil_tmp_ database), then delete it. */
export async function withScratchDb<T>(provider: Provider, fn: (target: DbTarget) => Promise<T>): Promise<T> {
  if (provider === 'sqlite') {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vigil-migrate-'));
    try { return await fn({ provider, url: `file:${path.join(dir, 'dev.db')}` }); }
    finally { await rm(dir, { recursive: true, force: true }); }
  }
  const admin = pgParts(scratchPgUrl());
  const name = `vigil_tmp_dev_${randomBytes(6).toString('hex')}`;
  await pgExec(admin, `CREATE DATABASE "${name}"`).catch((e: Error) => {
    throw new Error(`cannot create a scratch database on ${redact(scratchPgUrl())} (set VIGIL_MIGRATE_PG_URL): ${e.message}`);
  });
  try {
    const url = new URL(scratchPgUrl());
    url.pathname = `/${name}`;
    return await fn({ provider, url: url.toString() });
  } finally { await pgExec(admin, `DROP DATABASE IF EXISTS "${name}"`); }
}
