import { z } from 'zod';
import { displayName } from '../validation.ts';
import { builder } from './builder.ts';
import { ROLES } from '../users/roles.ts';
import { JOB_KINDS } from '../schedules/schedules.ts';
import type { Services } from '../services.ts';
import { badInput, type FieldError } from '../errors.ts';

/** Shared enums and input helpers. GraphQL enums are UPPER_CASE; storage is lower-case. */
export const upper = (s: string) => s.toUpperCase().replace(/-/g, '_');
export const lower = (s: string) => s.toLowerCase().replace(/_/g, '-');

export const RoleEnum = builder.enumType('Role', { values: ROLES.map(upper) as ['VIEWER', 'OPERATOR', 'ADMIN'] });
export const SeverityEnum = builder.enumType('Severity', { values: ['INFO', 'WARNING', 'CRITICAL'] as const });
export const AlertStatusEnum = builder.enumType('AlertStatus', { values: ['OPEN', 'ACKNOWLEDGED', 'RESOLVED'] as const });
export const JobKindEnum = builder.enumType('JobKind', { values: JOB_KINDS.map(upper) as ['BACKUP', 'FORGET', 'PRUNE', 'CHECK', 'UNLOCK', 'INIT'] });
export const JobStatusEnum = builder.enumType('JobStatus', { values: ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const });
export const LogStreamEnum = builder.enumType('LogStream', { values: ['STDOUT', 'STDERR', 'BOTH'] as const });
export const SortDirectionEnum = builder.enumType('SortDirection', { values: ['ASC', 'DESC'] as const });

/** A trimmed, bounded display name. */
export const nameField = displayName;

export const tagList = z
  .array(
    z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(40, 'must be at most 40 characters')
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, 'may hold letters, digits and . _ : / - (starting with a letter or digit)'),
  )
  .max(20, 'at most 20 tags')
  .transform((tags) => [...new Set(tags)]);

/** noNulls turns GraphQL's null for "not given" into undefined, shallowly. */
export function noNulls<T extends Record<string, unknown>>(input: T): { [K in keyof T]: Exclude<T[K], null> } {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null)) as { [K in keyof T]: Exclude<T[K], null> };
}

/**
 * likeLiteral escapes LIKE's wildcards in a search term, so `web_01` finds
 * web_01 and not web-01, `100%` a literal percent. Prisma's `contains` builds a
 * LIKE without escaping; the escape character is the backslash, PostgreSQL's
 * default and our SQLite connection's (its like() is replaced, see
 * sqlite-thread-worker.mjs).
 */
export function likeLiteral(term: string): string {
  return term.replace(/[\\%_]/g, '\\$&');
}

/** textContains builds a case-insensitive literal substring filter for either provider. */
export function textContains(services: Services, term: string) {
  const literal = likeLiteral(term);
  // SQLite's LIKE is case-insensitive already; PostgreSQL needs mode.
  return services.provider === 'postgresql' ? { contains: literal, mode: 'insensitive' as const } : { contains: literal };
}

export const PAGE = { defaultSize: 50, maxSize: 500 };

/**
 * howMany reads a count argument (next runs, log lines): a negative count is bad input naming the
 * argument; above `max` it is capped, as `first` is on connections (the description says the cap).
 */
export function howMany(value: number | null | undefined, fallback: number, max: number, path: string): number {
  const n = value ?? fallback;
  if (n < 0) throw badInput([{ path, message: 'must be 0 or more' }]);
  return Math.min(n, max);
}

/** A filter's limits: values per list, characters per text. */
const FILTER_LIST_MAX = 50;
const FILTER_TEXT_MAX = 200;

/**
 * checkedFilter keeps a filter argument within sane limits - a list of 1,000 tags
 * or a 30,000-character search would reach the database only as an error: lists
 * are deduplicated and hold at most 50 values, texts at most 200 characters.
 */
export function checkedFilter<F extends object | null | undefined>(filter: F, arg = 'filter'): F {
  if (!filter) return filter;
  const out: Record<string, unknown> = { ...filter };
  const bad: FieldError[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (Array.isArray(value)) {
      out[key] = [...new Set(value)];
      if ((out[key] as unknown[]).length > FILTER_LIST_MAX) bad.push({ path: `${arg}.${key}`, message: `must hold at most ${FILTER_LIST_MAX} values` });
    } else if (typeof value === 'string' && value.length > FILTER_TEXT_MAX) {
      bad.push({ path: `${arg}.${key}`, message: `must be at most ${FILTER_TEXT_MAX} characters` });
    }
  }
  if (bad.length) throw badInput(bad);
  return out as F;
}

/**
 * pageQuery passes a connection's query on, refusing a cursor that is not one of
 * this list's: one that decodes to something other than a row id (made by hand,
 * of another shape) would make the database fail, and one naming no row of this
 * table (another list's, or a row deleted since) would silently read as the end
 * of the list - an integrator paging through would stop early without knowing.
 */
export async function pageQuery<Q extends { cursor?: Record<string, unknown> }>(query: Q, args: { before?: string | null }, rows: { count(args: { where: { id: string } }): Promise<number> }): Promise<Q> {
  if (!query.cursor) return query;
  const path = args.before ? 'before' : 'after';
  const values = Object.values(query.cursor);
  if (values.some((v) => typeof v !== 'string')) throw badInput([{ path, message: 'not a cursor this list handed out' }]);
  if ((await rows.count({ where: { id: values[0] as string } })) === 0) {
    throw badInput([{ path, message: 'not a cursor of this list, or its row no longer exists: start again from the first page' }]);
  }
  return query;
}
