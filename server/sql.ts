import type { Tx } from './db.ts';

/**
 * Bulk statements for the hot paths, written once for both providers: a CTE
 * of VALUES joined into UPDATE ... FROM, with the placeholders and casts each
 * dialect needs. Prisma's per-query cost (~0.2 ms here) rules out one query per
 * event at the rates the engine must sustain.
 */
export type Provider = 'sqlite' | 'postgresql';
export type SqlType = 'text' | 'int' | 'time' | 'bool';

const PG_CAST: Record<SqlType, string> = { text: '::text', int: '::int', time: '::timestamp(3)', bool: '::boolean' };

/** sqlTime renders a Date the way Prisma stores it (SQLite: ISO text with +00:00; PostgreSQL: timestamp literal). */
export function sqlTime(provider: Provider, d: Date): string {
  const iso = d.toISOString();
  return provider === 'sqlite' ? iso.replace('Z', '+00:00') : iso.replace('T', ' ').replace('Z', '');
}

/** sqlValue converts one cell for binding. */
function cell(provider: Provider, type: SqlType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (type === 'time') return sqlTime(provider, v as Date);
  if (type === 'bool') return provider === 'sqlite' ? (v ? 1 : 0) : Boolean(v);
  return v;
}

/**
 * updateFromValues runs `WITH v(cols) AS (VALUES ...) UPDATE <table> SET <set> FROM v WHERE <where> RETURNING <table>.id`
 * and returns the ids it changed. `set` and `where` refer to the columns as v.<name>.
 */
export async function updateFromValues(
  tx: Tx,
  provider: Provider,
  opts: { table: string; columns: Array<[string, SqlType]>; rows: unknown[][]; set: string; where: string },
): Promise<string[]> {
  if (opts.rows.length === 0) return [];
  const params: unknown[] = [];
  const tuples = opts.rows.map((row) => {
    const parts = row.map((v, i) => {
      const [, type] = opts.columns[i]!;
      params.push(cell(provider, type, v));
      return provider === 'sqlite' ? '?' : `$${params.length}${PG_CAST[type]}`;
    });
    return `(${parts.join(', ')})`;
  });
  const names = opts.columns.map(([n]) => `"${n}"`).join(', ');
  const sql = `WITH v(${names}) AS (VALUES ${tuples.join(', ')}) UPDATE "${opts.table}" SET ${opts.set} FROM v WHERE ${opts.where} RETURNING "${opts.table}".id AS id`;
  const rows = (await tx.$queryRawUnsafe(sql, ...params)) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

/** chunks splits rows so a statement stays under the bind-parameter limits (SQLite 32766). */
export function chunks<T>(rows: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}

/**
 * insertMany writes rows with multi-row INSERT statements (chunked under the
 * bind limits). Prisma's createMany costs ~0.25 ms per row here; this costs a
 * few microseconds. Objects are read by column name; missing keys insert NULL.
 */
export async function insertMany(tx: Tx, provider: Provider, table: string, columns: Array<[string, SqlType]>, rows: Array<Record<string, unknown>>): Promise<void> {
  if (rows.length === 0) return;
  const perRow = columns.length;
  const size = Math.max(1, Math.floor(30_000 / perRow));
  const names = columns.map(([n]) => `"${n}"`).join(', ');
  for (const part of chunks(rows, size)) {
    const params: unknown[] = [];
    const tuples = part.map((row) => {
      const cells = columns.map(([name, type]) => {
        params.push(cell(provider, type, row[name]));
        return provider === 'sqlite' ? '?' : `$${params.length}${PG_CAST[type]}`;
      });
      return `(${cells.join(', ')})`;
    });
    await tx.$executeRawUnsafe(`INSERT INTO "${table}" (${names}) VALUES ${tuples.join(', ')}`, ...params);
  }
}

/** Column lists of the tables the hot paths write in bulk. */
export const COLUMNS = {
  Alert: [['id', 'text'], ['hostId', 'text'], ['kind', 'text'], ['severity', 'text'], ['status', 'text'], ['statusRank', 'int'], ['message', 'text'], ['dedupKey', 'text'], ['openKey', 'text'], ['occurrences', 'int'], ['createdAt', 'time'], ['lastSeenAt', 'time'], ['acknowledgedAt', 'time'], ['acknowledgedBy', 'text'], ['resolvedAt', 'time'], ['resolvedBy', 'text']],
  AuditEntry: [['id', 'text'], ['actor', 'text'], ['actorId', 'text'], ['action', 'text'], ['targetKind', 'text'], ['targetId', 'text'], ['detail', 'text'], ['createdAt', 'time']],
  OutboxItem: [['id', 'text'], ['channelId', 'text'], ['triggerId', 'text'], ['alertId', 'text'], ['eventId', 'text'], ['event', 'text'], ['payload', 'text'], ['status', 'text'], ['attempts', 'int'], ['nextAttemptAt', 'time'], ['createdAt', 'time']],
  Event: [['id', 'text'], ['source', 'text'], ['severity', 'text'], ['message', 'text'], ['metadata', 'text'], ['hostId', 'text'], ['createdAt', 'time']],
  Delivery: [['id', 'text'], ['outboxId', 'text'], ['channelId', 'text'], ['triggerId', 'text'], ['alertId', 'text'], ['eventId', 'text'], ['event', 'text'], ['ok', 'bool'], ['statusCode', 'int'], ['latencyMs', 'int'], ['error', 'text'], ['firedAt', 'time'], ['attempt', 'int']],
} satisfies Record<string, Array<[string, SqlType]>>;
