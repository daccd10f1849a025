import type { Db, Tx } from './db.ts';
import type { DirectStatement } from './sqlite-thread.ts';

/**
 * The hot paths' SQL, written once for both providers. Prisma costs ~0.2 ms a
 * query and ~0.25 ms a row in createMany here, which rules out one query per
 * event at the rates the engine must sustain:
 * - PostgreSQL: one array per column (UNNEST) joined into UPDATE ... FROM or
 *   selected into INSERT, through Prisma's raw queries: one round trip a statement;
 * - SQLite: one statement per call whatever the number of rows, the rows going in
 *   as one JSON parameter that SQLite takes apart itself (jsonb_each) - no bind
 *   limit, no statement per size, one string to send - prepared once on the
 *   connection Prisma also uses (on the SQLite thread, sqlite-thread.ts), inside
 *   the caller's transaction or behind the connection's gate (sqlite-serial.ts).
 */
export type Provider = 'sqlite' | 'postgresql';
export type SqlType = 'text' | 'int' | 'time' | 'bool';

const PG_CAST: Record<SqlType, string> = { text: '::text', int: '::int', time: '::timestamp(3)', bool: '::boolean' };

/** sqlTime renders a Date the way Prisma stores it (SQLite: ISO text with +00:00; PostgreSQL: timestamp literal). */
export function sqlTime(provider: Provider, d: Date): string {
  // A batch stamps most of its rows with the same `now`: render each instant once.
  const ms = d.getTime();
  const memo = lastTime[provider];
  if (memo.ms === ms) return memo.text;
  const iso = d.toISOString();
  const text = provider === 'sqlite' ? iso.replace('Z', '+00:00') : iso.replace('T', ' ').replace('Z', '');
  lastTime[provider] = { ms, text };
  return text;
}
const lastTime: Record<Provider, { ms: number; text: string }> = { sqlite: { ms: NaN, text: '' }, postgresql: { ms: NaN, text: '' } };

/** sqlValue converts one cell for binding. */
function cell(provider: Provider, type: SqlType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'time') return sqlTime(provider, v as Date);
  if (type === 'bool') return provider === 'sqlite' ? (v ? 1 : 0) : Boolean(v);
  // SQLite's values travel as JSON, which has no BigInt
  if (typeof v === 'bigint' && provider === 'sqlite') return Number(v);
  return v;
}

/** chunks splits a list so a Prisma `in` filter (one bound parameter per value) stays under the providers' limits. */
export function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/** Column lists of the tables the hot paths write in bulk. */
export const COLUMNS = {
  Alert: [['id', 'text'], ['hostId', 'text'], ['kind', 'text'], ['severity', 'text'], ['status', 'text'], ['statusRank', 'int'], ['message', 'text'], ['dedupKey', 'text'], ['openKey', 'text'], ['occurrences', 'int'], ['createdAt', 'time'], ['lastSeenAt', 'time'], ['acknowledgedAt', 'time'], ['acknowledgedBy', 'text'], ['resolvedAt', 'time'], ['resolvedBy', 'text']],
  AuditEntry: [['id', 'text'], ['actor', 'text'], ['actorId', 'text'], ['action', 'text'], ['targetKind', 'text'], ['targetId', 'text'], ['detail', 'text'], ['createdAt', 'time']],
  OutboxItem: [['id', 'text'], ['channelId', 'text'], ['triggerId', 'text'], ['alertId', 'text'], ['eventId', 'text'], ['event', 'text'], ['payload', 'text'], ['status', 'text'], ['attempts', 'int'], ['nextAttemptAt', 'time'], ['claimedBy', 'text'], ['leaseUntil', 'time'], ['createdAt', 'time']],
  Event: [['id', 'text'], ['source', 'text'], ['severity', 'text'], ['message', 'text'], ['metadata', 'text'], ['hostId', 'text'], ['createdAt', 'time']],
  Delivery: [['id', 'text'], ['outboxId', 'text'], ['channelId', 'text'], ['triggerId', 'text'], ['alertId', 'text'], ['eventId', 'text'], ['event', 'text'], ['ok', 'bool'], ['statusCode', 'int'], ['latencyMs', 'int'], ['error', 'text'], ['firedAt', 'time'], ['attempt', 'int']],
} satisfies Record<string, Array<[string, SqlType]>>;

/** The SQLite connection under Prisma, for direct statements (see sqlite-serial.ts). */
export interface DirectSqlite {
  /** runs a list of statements in order in one trip: rows for reading statements, null for the others */
  statements(list: DirectStatement[]): Promise<Array<Row[] | null>>;
  /** runs `fn` (statements outside any transaction) when no transaction holds or awaits the connection */
  autocommit<T>(fn: () => Promise<T>): Promise<T>;
  /** runs `fn` in a transaction of its own on the connection, holding it (no Prisma transaction around it) */
  transaction<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * The `tx` inside Sql.transaction on SQLite: Sql's methods run on the direct
 * connection, and there is no Prisma transaction - a model call on it fails
 * loudly instead of waiting for the connection this transaction holds.
 */
const DIRECT_TX = new Proxy({} as Tx, {
  get(_, prop) {
    throw new Error(`tx.${String(prop)}: Sql.transaction runs Sql statements only, not Prisma calls`);
  },
});

type Row = Record<string, unknown>;

export interface UpdateFromValues {
  table: string;
  columns: Array<[string, SqlType]>;
  rows: unknown[][];
  set: string;
  where: string;
}

/** plain turns driver values into plain JS: BigInt (better-sqlite3 safe integers) into numbers. */
function plain(row: Row): Row {
  for (const k in row) if (typeof row[k] === 'bigint') row[k] = Number(row[k]);
  return row;
}

export class Sql {
  /** SQLite statement texts by shape (a 64-row VALUES list is kilobytes; built once, not per call) */
  private readonly texts = new Map<string, string>();

  constructor(
    readonly provider: Provider,
    private readonly db: Db,
    private readonly direct?: DirectSqlite,
  ) {}

  /**
   * transaction runs `fn` in one transaction of Sql statements only. On SQLite it
   * is BEGIN/COMMIT on the direct connection (Prisma's interactive transaction
   * costs ~0.3 ms of CPU, more than a small batch of rows); on PostgreSQL it is
   * Prisma's transaction (the round trips cost more than the machinery).
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.direct) return this.direct.transaction(() => fn(DIRECT_TX));
    return this.db.$transaction((tx) => fn(tx));
  }

  /** time renders a Date as the provider stores it. */
  time(d: Date): string {
    return sqlTime(this.provider, d);
  }

  /** bool renders a boolean parameter as the provider binds it. */
  bool(v: boolean): number | boolean {
    return this.provider === 'sqlite' ? (v ? 1 : 0) : v;
  }

  /** ph is the i-th (1-based) placeholder, with a PostgreSQL cast. */
  ph(i: number, type?: SqlType): string {
    return this.provider === 'sqlite' ? '?' : `$${i}${type ? PG_CAST[type] : ''}`;
  }

  /** text returns the statement of one shape, building it the first time. */
  private text(key: string, build: () => string): string {
    let sql = this.texts.get(key);
    if (sql === undefined) {
      sql = build();
      if (this.texts.size > 500) this.texts.clear();
      this.texts.set(key, sql);
    }
    return sql;
  }

  /**
   * onDirect runs SQLite statements (in one trip) inside the caller's transaction,
   * or behind the gate when there is none; returns every row they read, made plain.
   */
  private async onDirect(tx: Tx | null, list: DirectStatement[]): Promise<Row[]> {
    const direct = this.direct!;
    const results = await (tx ? direct.statements(list) : direct.autocommit(() => direct.statements(list)));
    const out: Row[] = [];
    for (const rows of results) if (rows) for (const r of rows) out.push(plain(r));
    return out;
  }

  /** query runs one statement (placeholders from ph()) and returns its rows. */
  async query<T = Row>(tx: Tx | null, text: string, params: unknown[] = []): Promise<T[]> {
    if (this.direct) return (await this.onDirect(tx, [{ sql: text, args: params }])) as T[];
    return ((await (tx ?? this.db).$queryRawUnsafe(text, ...params)) as Row[]).map(plain) as T[];
  }

  /**
   * updateFromValues: `WITH v(cols) AS (VALUES ...) UPDATE <table> SET <set> FROM v WHERE <where> RETURNING ...`;
   * returns the ids it changed. `set` and `where` refer to the values as v."name".
   * The rows must name distinct targets: many rows go in one statement.
   */
  async updateFromValues(tx: Tx, opts: UpdateFromValues): Promise<string[]> {
    return (await this.updateReturning(tx, opts, ['id'])).map((r) => String(r.id));
  }

  /** updateReturning is updateFromValues returning the changed rows, whole or the columns listed (raw rows; see model()). */
  async updateReturning(tx: Tx, opts: UpdateFromValues, returning: '*' | readonly string[] = '*'): Promise<Row[]> {
    if (opts.rows.length === 0) return [];
    const names = opts.columns.map(([n]) => `"${n}"`).join(', ');
    // SQLite's RETURNING sees only the target table (and refuses "t".*); PostgreSQL's would add the FROM columns to *.
    const back = returning !== '*' ? returning.map((c) => `"${opts.table}"."${c}" AS "${c}"`).join(', ') : this.provider === 'sqlite' ? '*' : `"${opts.table}".*`;
    const statement = (source: string) => `WITH v(${names}) AS (${source}) UPDATE "${opts.table}" SET ${opts.set} FROM v WHERE ${opts.where} RETURNING ${back}`;
    if (this.direct) {
      // The values as one JSON parameter that SQLite takes apart (see insertMany).
      const sql = this.text(`U|${opts.table}|${names}|${opts.set}|${opts.where}|${back}`, () => sqliteUpdateFromJson(opts, back));
      return this.onDirect(tx, [{ sql, args: [JSON.stringify(opts.rows.map((row) => row.map((v, c) => cell(this.provider, opts.columns[c]![1], v))))] }]);
    }
    // PostgreSQL: one array per column (UNNEST), so the statement text stays small whatever the batch size.
    const arrays = opts.columns.map((_, i) => opts.rows.map((row) => cell(this.provider, opts.columns[i]![1], row[i])));
    const unnest = `SELECT * FROM UNNEST(${opts.columns.map(([, type], i) => `$${i + 1}${PG_CAST[type]}[]`).join(', ')})`;
    const out: Row[] = [];
    for (const r of (await tx.$queryRawUnsafe(statement(unnest), ...arrays)) as Row[]) out.push(plain(r));
    return out;
  }

  /** rowsWhere reads every row of `table` whose `column` is one of `values` (raw rows, in no particular order; see model()). */
  async rowsWhere(tx: Tx, table: string, column: string, values: string[]): Promise<Row[]> {
    if (values.length === 0) return [];
    if (this.direct) {
      // the list as one JSON parameter (see insertMany)
      return this.onDirect(tx, [{ sql: this.text(`S|${table}|${column}`, () => `SELECT * FROM "${table}" WHERE "${column}" IN (SELECT value FROM jsonb_each(?))`), args: [JSON.stringify(values)] }]);
    }
    return ((await tx.$queryRawUnsafe(`SELECT * FROM "${table}" WHERE "${column}" = ANY($1::text[])`, values)) as Row[]).map(plain);
  }

  /** deleteByIds removes every row whose id is listed. */
  async deleteByIds(tx: Tx, table: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    if (this.direct) {
      await this.onDirect(tx, [{ sql: this.text(`D|${table}`, () => `DELETE FROM "${table}" WHERE id IN (SELECT value FROM jsonb_each(?))`), args: [JSON.stringify(ids)] }]);
      return;
    }
    await tx.$executeRawUnsafe(`DELETE FROM "${table}" WHERE id = ANY($1::text[])`, ids);
  }

  /** insertMany writes rows (objects read by column name; missing keys insert NULL). */
  async insertMany(tx: Tx, table: string, columns: Array<[string, SqlType]>, rows: Row[]): Promise<void> {
    if (rows.length === 0) return;
    const names = columns.map(([n]) => `"${n}"`).join(', ');
    if (this.direct) {
      // The whole list as one JSON parameter that SQLite takes apart itself (jsonb_each): one statement
      // whatever the count, and one string to hand to the SQLite thread instead of a value per cell.
      const sql = this.text(`I|${table}|${names}`, () => `INSERT INTO "${table}" (${names}) SELECT ${columns.map((_, i) => `value->>${i}`).join(', ')} FROM jsonb_each(?)`);
      const list = rows.map((row) => columns.map(([n, type]) => cell(this.provider, type, row[n])));
      await this.onDirect(tx, [{ sql, args: [JSON.stringify(list)] }]);
      return;
    }
    // PostgreSQL: one array per column (UNNEST), one small statement for the whole batch.
    const arrays = columns.map(([n, type]) => rows.map((row) => cell(this.provider, type, row[n])));
    await tx.$executeRawUnsafe(`INSERT INTO "${table}" (${names}) SELECT * FROM UNNEST(${columns.map(([, type], i) => `$${i + 1}${PG_CAST[type]}[]`).join(', ')})`, ...arrays);
  }
}

/**
 * sqliteUpdateFromJson is updateReturning's statement on SQLite: the values come
 * as one JSON array of rows (jsonb_each). The CTE is MATERIALIZED: SQLite cannot
 * estimate how many rows jsonb_each yields, and without it the planner may scan
 * the target table (by another index) with the whole list as the inner loop.
 */
export function sqliteUpdateFromJson(opts: Pick<UpdateFromValues, 'table' | 'columns' | 'set' | 'where'>, back: string): string {
  const names = opts.columns.map(([n]) => `"${n}"`).join(', ');
  const source = `SELECT ${opts.columns.map((_, i) => `value->>${i}`).join(', ')} FROM jsonb_each(?)`;
  return `WITH v(${names}) AS MATERIALIZED (${source}) UPDATE "${opts.table}" SET ${opts.set} FROM v WHERE ${opts.where} RETURNING ${back}`;
}

/** model turns a raw row into the Prisma model's shape: Dates from text, booleans from 0/1. */
export function model<T>(row: Row, shape: { dates?: string[]; bools?: string[] }): T {
  for (const k of shape.dates ?? []) if (row[k] !== null && row[k] !== undefined && !(row[k] instanceof Date)) row[k] = new Date(String(row[k]));
  for (const k of shape.bools ?? []) if (row[k] !== null && row[k] !== undefined) row[k] = Boolean(row[k]);
  return row as T;
}

export const SHAPES = {
  Job: { dates: ['createdAt', 'dispatchedAt', 'startedAt', 'finishedAt'] },
  Alert: { dates: ['createdAt', 'lastSeenAt', 'acknowledgedAt', 'resolvedAt'] },
  Host: { dates: ['lastSeenAt', 'lastBackupAt', 'catchUpAt', 'offlineSince', 'createdAt', 'updatedAt'], bools: ['alwaysOn'] },
};
