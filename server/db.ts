import fs from 'node:fs';
import path from 'node:path';
import type { PrismaClient } from '../prisma/generated/sqlite/client.ts';
import { deployMigrations } from '../prisma/tools/migrate-engine.ts';
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { serialSqlite } from './sqlite-serial.ts';
import { SqliteThread } from './sqlite-thread.ts';
import { Sql } from './sql.ts';
import { AUTOCHECKPOINT_BACKSTOP_PAGES, startCheckpointer } from './sqlite-checkpointer.ts';

/**
 * The Prisma adapter. Both generated clients expose the same model API, so the
 * rest of the server is typed against the SQLite client whichever provider runs.
 */
export type Db = PrismaClient;
export type Tx = Omit<Db, '$connect' | '$disconnect' | '$on' | '$transaction' | '$extends'>;

export interface Database {
  db: Db;
  provider: 'sqlite' | 'postgresql';
  /** the hot paths' statements (bulk, or direct on SQLite) */
  sql: Sql;
  /** ping checks the database answers (used by /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The SQLite page cache, in KiB. */
export const SQLITE_CACHE_KIB = 64 * 1024;

// Interactive transactions queue behind SQLite's single writer; give them room.
const TRANSACTION_OPTIONS = { maxWait: 15_000, timeout: 30_000 };

/** sqlitePath turns `file:/x/y.db` into a filesystem path. */
export function sqlitePath(url: string): string {
  return path.resolve(url.replace(/^file:(\/\/)?/, ''));
}

/** openDatabase applies pending migrations, then opens the client for the configured provider. */
export async function openDatabase(config: Pick<Config, 'databaseUrl' | 'provider'>, log: Logger): Promise<Database> {
  if (config.provider === 'sqlite') {
    fs.mkdirSync(path.dirname(sqlitePath(config.databaseUrl)), { recursive: true });
  }
  const applied = await deployMigrations({ provider: config.provider, url: config.databaseUrl }, (msg) => log.debug(msg));
  if (applied.length > 0) log.info('migrations applied', { migrations: applied });
  return config.provider === 'sqlite' ? openSqlite(config.databaseUrl, log) : openPostgres(config.databaseUrl);
}

async function openSqlite(url: string, log: Logger): Promise<Database> {
  const { PrismaClient } = await import('../prisma/generated/sqlite/client.ts');
  // The connection lives on its own thread (sqlite-thread.ts): SQLite's work never blocks the event loop.
  const thread = await SqliteThread.start(sqlitePath(url), 10_000);
  thread.onFailure = (err) => log.error('the SQLite thread stopped: every database call fails from now on; restart Vigil', { error: err });
  const serial = serialSqlite(thread);
  const db = new PrismaClient({ adapter: serial.factory, transactionOptions: TRANSACTION_OPTIONS });
  // The adapter holds one connection, so these pragmas hold for every query.
  // WAL keeps synchronous=FULL unless told otherwise; NORMAL is durable across
  // process crashes and ~15x faster on this disk.
  await db.$queryRawUnsafe('PRAGMA journal_mode = WAL');
  await db.$executeRawUnsafe('PRAGMA synchronous = NORMAL');
  await db.$queryRawUnsafe('PRAGMA busy_timeout = 10000');
  await db.$executeRawUnsafe('PRAGMA foreign_keys = ON');
  // SQLite's default page cache is 2 MiB: the engine's indexes outgrow it within minutes and every
  // batch re-reads its pages through the OS. 64 MiB is a ceiling, filled only as pages are used
  // (bench:notify: ingest ~15% faster).
  await db.$executeRawUnsafe(`PRAGMA cache_size = -${SQLITE_CACHE_KIB}`);
  // Checkpoints run on their own thread; the commit-time one is only a backstop.
  await db.$queryRawUnsafe(`PRAGMA wal_autocheckpoint = ${AUTOCHECKPOINT_BACKSTOP_PAGES}`);
  const checkpointer = startCheckpointer(sqlitePath(url), log.child({ component: 'checkpointer' }));
  return {
    db,
    provider: 'sqlite',
    sql: new Sql('sqlite', db, serial.direct()),
    ping: async () => {
      await db.$queryRawUnsafe('SELECT 1');
    },
    close: async () => {
      await checkpointer.stop();
      await db.$disconnect();
    },
  };
}

async function openPostgres(url: string): Promise<Database> {
  const { PrismaClient } = await import('../prisma/generated/postgresql/client.ts');
  const { PrismaPg } = await import('@prisma/adapter-pg');
  const adapter = new PrismaPg({ connectionString: url, max: 10 });
  const db = new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS }) as unknown as Db;
  return {
    db,
    provider: 'postgresql',
    sql: new Sql('postgresql', db),
    ping: async () => {
      await db.$queryRawUnsafe('SELECT 1');
    },
    close: () => db.$disconnect(),
  };
}
